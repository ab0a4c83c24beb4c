import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createRuntime, type Runtime } from '../shared/composition/createRuntime.js';
import { PRODUCER_ATTRIBUTE } from '../shared/domain/producer.js';
import { createCollector } from '../shared/usecases/createCollector.js';

type CollectorHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/**
 * Intake queue → provider batches. Returns the messages to retry as partial batch failures;
 * requests refused for good are acknowledged (and published as `Request Rejected`).
 *
 * A factory as well as `handler`, so tests and local runs can hand it a runtime whose ports
 * inject faults (crashes between I/O calls, a faster clock) around the very same code.
 */
const makeCollectorHandler = (runtime: Runtime): CollectorHandler => {
  const collect = createCollector(runtime.deps);
  return async (event, context) => {
    runtime.logger.addContext(context);
    try {
      const report = await collect(
        event.Records.map((r) => ({
          messageId: r.messageId,
          body: r.body,
          // What SQS recorded about the sender, never what the message says about itself.
          senderId: r.attributes.SenderId,
          producerAttribute: r.messageAttributes[PRODUCER_ATTRIBUTE]?.stringValue ?? null,
        })),
      );
      runtime.logger.info('collected', {
        records: event.Records.length,
        accepted: report.accepted,
        folded: report.folded,
        rejected: report.rejected,
        batches: report.batches,
        retrying: report.failedMessageIds.length,
      });
      return { batchItemFailures: report.failedMessageIds.map((id) => ({ itemIdentifier: id })) };
    } finally {
      runtime.flushMetrics();
    }
  };
};

const handler = makeCollectorHandler(await createRuntime(process.env, 'collector'));

export { type CollectorHandler, handler, makeCollectorHandler };
