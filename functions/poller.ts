import type { Context, ScheduledEvent } from 'aws-lambda';
import { createRuntime } from '../shared/composition/createRuntime.js';
import { createPoller, type PollerReport } from '../shared/usecases/createPoller.js';

const runtime = await createRuntime(process.env, 'poller');
const poll = createPoller(runtime.deps);

/** Scheduled: advances every batch that is due (submit, poll, hand to completion). */
const handler = async (_event: ScheduledEvent, context: Context): Promise<PollerReport> => {
  runtime.logger.addContext(context);
  try {
    const report = await poll();
    if (report.examined > 0) runtime.logger.info('polled', { ...report });
    return report;
  } finally {
    runtime.flushMetrics();
  }
};

export { handler };
