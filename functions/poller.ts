import type { Context, ScheduledEvent } from 'aws-lambda';
import { createRuntime, type Runtime } from '../shared/composition/createRuntime.js';
import { createPoller, type PollerReport } from '../shared/usecases/createPoller.js';

type PollerHandler = (event: ScheduledEvent, context: Context) => Promise<PollerReport>;

/**
 * Scheduled: advances every batch that is due (submit, poll, hand to completion).
 *
 * A factory as well as `handler`, so tests and local runs can hand it a runtime whose ports
 * inject faults (crashes between I/O calls, a faster clock) around the very same code.
 */
const makePollerHandler = (runtime: Runtime): PollerHandler => {
  const poll = createPoller(runtime.deps);
  return async (_event, context) => {
    runtime.logger.addContext(context);
    try {
      const report = await poll();
      if (report.examined > 0) runtime.logger.info('polled', { ...report });
      return report;
    } finally {
      runtime.flushMetrics();
    }
  };
};

const handler = makePollerHandler(await createRuntime(process.env, 'poller'));

export { handler, makePollerHandler, type PollerHandler };
