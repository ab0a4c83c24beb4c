import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUNCTION_SIZING } from '../../../shared/config/functionSizing.js';
import { type Pipeline, startPipeline } from '../pipeline/pipelineHarness.js';

let pipeline: Pipeline;

beforeAll(async () => {
  // No wrapRuntime: the local stack runs every function in worker threads, at its deployed
  // memory size and timeout.
  pipeline = await startPipeline({ maxRequestsPerBatch: 20 });
});

afterAll(async () => {
  await pipeline?.stop();
});

describe('Pipeline under worker isolation', () => {
  it('delivers every request exactly once with each function in its own execution environment', async () => {
    // Prepare
    const { destinations } = pipeline;
    const kinds = [
      destinations.sqs,
      destinations.s3,
      destinations.eventbridge,
      destinations.webhook,
    ];
    const requests = Array.from({ length: 36 }, (_, i) =>
      i % 2 === 0
        ? {
            custom_id: `iso-${i}`,
            provider: 'anthropic',
            body: {
              model: 'claude-haiku-4-5',
              max_tokens: 32,
              messages: [{ role: 'user', content: `question ${i}` }],
            },
            destination: kinds[i % 4],
          }
        : {
            custom_id: `iso-${i}`,
            provider: 'openai',
            body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: `question ${i}` }] },
            destination: kinds[i % 4],
          },
    );
    const ids = requests.map((r) => r.custom_id);

    // Act
    await pipeline.send(requests);
    // Each function's first invocation starts a worker thread that loads every module cold.
    await pipeline.waitForResults(ids, 180_000);

    // Assess: one result each, and every function ran isolated, within its limits.
    for (const id of ids) expect(pipeline.resultsFor(id), id).toHaveLength(1);
    const stats = pipeline.stack.functionStats();
    for (const name of ['collector', 'completion', 'poller'] as const) {
      const fn = stats[name];
      expect(fn.isolation, name).toBe('worker');
      expect(fn.memoryMb, name).toBe(FUNCTION_SIZING[name].memoryMb);
      expect(fn.timeoutMs, name).toBe(FUNCTION_SIZING[name].timeoutSeconds * 1000);
      expect(fn.invocations, name).toBeGreaterThan(0);
      expect(fn.coldStarts, name).toBeGreaterThanOrEqual(1);
      expect(fn.peakHeapUsedBytes ?? 0, name).toBeGreaterThan(0);
      expect(fn.failures, name).toMatchObject({
        timeout: 0,
        outOfMemory: 0,
        requestTooLarge: 0,
        responseTooLarge: 0,
        runtimeExit: 0,
        initError: 0,
      });
    }
  }, 240_000);
});
