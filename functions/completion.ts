import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createRuntime, type Runtime } from '../shared/composition/createRuntime.js';
import { METRIC } from '../shared/contract/metrics.js';
import { batchIdOfCompletionMessage } from '../shared/domain/completionMessage.js';
import { createCompletion } from '../shared/usecases/createCompletion.js';

type CompletionHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/**
 * Completion queue → destinations. One message names one ended batch; a batch whose
 * delivery is incomplete is retried (delivered items are skipped on the next try).
 *
 * A factory as well as `handler`, so tests and local runs can hand it a runtime whose ports
 * inject faults (crashes between I/O calls, a faster clock) around the very same code.
 */
const makeCompletionHandler = (runtime: Runtime): CompletionHandler => {
  const complete = createCompletion(runtime.deps);
  return async (event, context) => {
    runtime.logger.addContext(context);
    const failures: { itemIdentifier: string }[] = [];
    try {
      for (const record of event.Records) {
        const batchId = batchIdOfCompletionMessage(record.body);
        if (batchId === null) {
          // Not ours to retry: a message that names none of batchlane's batches (a malformed
          // body, a Bedrock job event that is not batchlane's) can never succeed. Counted, so
          // what is dropped here is seen.
          runtime.deps.metrics.count(METRIC.MalformedCompletionMessages, 1);
          runtime.logger.error('malformed completion message', { messageId: record.messageId });
          continue;
        }
        try {
          const report = await complete(batchId, {
            attempt: Number(record.attributes.ApproximateReceiveCount),
            timeLeftMs: () => context.getRemainingTimeInMillis(),
          });
          runtime.logger.info('completion', { ...report });
        } catch (error) {
          runtime.logger.warn('completion will be retried', {
            batchId,
            error,
          });
          failures.push({ itemIdentifier: record.messageId });
          await runtime.deps.completion
            // Soon enough for an SQS FIFO destination's 5-minute deduplication to still drop
            // what the failed run sent, instead of the queue's visibility timeout (90 min).
            .retrySoon(record.receiptHandle, runtime.config.completionRetrySeconds)
            .catch((retryError: unknown) =>
              // The queue's visibility timeout brings it back then, only later.
              runtime.logger.warn('completion retry not brought forward', { error: retryError }),
            );
        }
      }
      return { batchItemFailures: failures };
    } finally {
      runtime.flushMetrics();
    }
  };
};

const handler = makeCompletionHandler(await createRuntime(process.env, 'completion'));

export { type CompletionHandler, handler, makeCompletionHandler };
