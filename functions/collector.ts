import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createRuntime } from '../shared/composition/createRuntime.js';
import { createCollector } from '../shared/usecases/createCollector.js';

const runtime = await createRuntime(process.env, 'collector');
const collect = createCollector(runtime.deps);

/**
 * Intake queue → provider batches. Returns the messages to retry as partial batch failures;
 * requests refused for good are acknowledged (and published as `Request Rejected`).
 */
const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  runtime.logger.addContext(context);
  try {
    const report = await collect(
      event.Records.map((r) => ({ messageId: r.messageId, body: r.body })),
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

export { handler };
