import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../../shared/config/BatchlaneConfig.js';
import { type Pipeline, startPipeline } from './pipelineHarness.js';

let pipeline: Pipeline;
const runnerLog: string[] = [];

beforeAll(async () => {
  pipeline = await startPipeline({
    log: (line) => runnerLog.push(line),
    // Flex capacity never frees up; the provider asks for retries 10 ms later.
    simulator: { seed: 3, faults: { flexUnavailableRate: 1, flexRetryAfterMs: 10 } },
    environment: { [ENV.realtimeRetryBaseSeconds]: '1' },
  });
});

afterAll(async () => {
  await pipeline?.stop();
});

describe('Pipeline: a realtime call that keeps failing', () => {
  it('is retried on growing delays, then delivered errored with the reason, once', async () => {
    await pipeline.send([
      {
        custom_id: 'flex-never',
        provider: 'openai',
        body: { model: 'gpt-5-mini', messages: [{ role: 'user', content: 'hi' }] },
        destination: pipeline.destinations.sqs,
        tier: 'flex',
      },
    ]);
    await pipeline.waitForResults(['flex-never'], 90_000);
    const results = pipeline.resultsFor('flex-never');
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({
      status: 'errored',
      lane: { requested: 'flex', served_by: 'flex' },
      cost: { usd: 0, basis: 'no_usage' },
    });
    expect(results[0]?.error?.type).toBe('realtime_unavailable');
    expect(results[0]?.error?.message).toContain('flex call did not succeed');
    expect(await pipeline.queueDepth(pipeline.stack.realtimeDlqUrl)).toBe(0);
    // Four tries of the job, each a call and the adapter's five retries of its 429 (the only
    // traffic the simulator sees here): 4 × 6. On a loaded machine the intake message can come
    // back past its visibility timeout before the collector deletes it, and send the job once
    // more: the lease serves the two one at a time, each with its own tries, and one result.
    const requests = pipeline.stack.simulator?.stats().http.requests ?? 0;
    expect(requests % 6).toBe(0);
    expect(requests).toBeGreaterThanOrEqual(24);
    expect(requests).toBeLessThanOrEqual(48);
  }, 120_000);
});
