import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { z } from 'zod';
import { createRuntime, type Runtime } from '../shared/composition/createRuntime.js';
import { batchIdOfJobName } from '../shared/domain/bedrockJobs.js';
import { createCompletion } from '../shared/usecases/createCompletion.js';

type CompletionHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

const CompletionMessageSchema = z
  .string()
  .transform((body, ctx) => {
    try {
      return JSON.parse(body) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'not JSON' });
      return z.NEVER;
    }
  })
  .pipe(
    z.union([
      z.object({ batch_id: z.string().min(1) }),
      // Bedrock's "Batch Inference Job State Change", sent here by the stack's rule: the job
      // is named after its batch, whose state completion then reads from Bedrock itself.
      z
        .object({
          source: z.literal('aws.bedrock'),
          detail: z.object({ batchJobName: z.string().min(1) }),
        })
        .transform((event, ctx) => {
          const batchId = batchIdOfJobName(event.detail.batchJobName);
          if (batchId === null) {
            ctx.addIssue({ code: 'custom', message: 'not a batchlane job' });
            return z.NEVER;
          }
          return { batch_id: batchId };
        }),
    ]),
  );

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
        const parsed = CompletionMessageSchema.safeParse(record.body);
        if (!parsed.success) {
          // Not ours to retry: a malformed message can never succeed.
          runtime.logger.error('malformed completion message', { messageId: record.messageId });
          continue;
        }
        try {
          const report = await complete(parsed.data.batch_id, {
            attempt: Number(record.attributes.ApproximateReceiveCount),
            timeLeftMs: () => context.getRemainingTimeInMillis(),
          });
          runtime.logger.info('completion', { ...report });
        } catch (error) {
          runtime.logger.warn('completion will be retried', {
            batchId: parsed.data.batch_id,
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
