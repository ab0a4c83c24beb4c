import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createRuntime, type Runtime } from '../shared/composition/createRuntime.js';
import { METRIC } from '../shared/contract/metrics.js';
import { RealtimeJobSchema } from '../shared/domain/RealtimeJob.js';
import { createRealtimeWorker } from '../shared/usecases/createRealtimeWorker.js';

type RealtimeHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/** Receives after which a job is answered `errored` rather than tried again (its DLQ follows). */
const LAST_TRY_RECEIVE_COUNT = 4;

/**
 * Realtime queue → provider (flex or standard call) → destination. One message is one job;
 * a job that fails for now is handed back (partial batch response) and tried again.
 *
 * A factory as well as `handler`, so tests and local runs can hand it a runtime of their own.
 */
const makeRealtimeHandler = (runtime: Runtime): RealtimeHandler => {
  const serve = createRealtimeWorker(runtime.deps);
  return async (event, context) => {
    runtime.logger.addContext(context);
    const failures: { itemIdentifier: string }[] = [];
    try {
      for (const record of event.Records) {
        let job: unknown;
        try {
          job = JSON.parse(record.body);
        } catch {
          job = null;
        }
        const parsed = RealtimeJobSchema.safeParse(job);
        if (!parsed.success) {
          // Not ours to retry: a malformed job can never succeed. Counted, since only
          // batchlane itself writes to this queue: a malformed job is a defect to look at.
          runtime.deps.metrics.count(METRIC.MalformedRealtimeJobs, 1);
          runtime.logger.error('malformed realtime job', { messageId: record.messageId });
          continue;
        }
        try {
          const report = await serve(parsed.data, {
            lastTry: Number(record.attributes.ApproximateReceiveCount) >= LAST_TRY_RECEIVE_COUNT,
          });
          runtime.logger.info('realtime', { ...report });
        } catch (error) {
          runtime.logger.warn('realtime job will be retried', {
            customId: parsed.data.custom_id,
            error,
          });
          failures.push({ itemIdentifier: record.messageId });
        }
      }
      return { batchItemFailures: failures };
    } finally {
      runtime.flushMetrics();
    }
  };
};

const handler = makeRealtimeHandler(await createRuntime(process.env, 'realtime'));

export { handler, makeRealtimeHandler, type RealtimeHandler };
