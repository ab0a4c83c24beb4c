import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idsOf, mixedRequests } from '../../support/requests.js';
import { type Pipeline, startPipeline } from './pipelineHarness.js';

let pipeline: Pipeline;

beforeAll(async () => {
  // Every batch's results are gone as soon as it ends (Anthropic archives it, OpenAI deletes
  // its output file), before completion can archive them; one retry is allowed.
  pipeline = await startPipeline({
    maxAttempts: 2,
    simulator: { seed: 5, faults: { resultsRetentionMs: 0 } },
  });
});

afterAll(async () => {
  await pipeline?.stop();
});

describe('Pipeline: results the provider no longer keeps', () => {
  it('sends every request again, then delivers each errored once, and completes every batch', async () => {
    const ids = idsOf('gone', 12);
    await pipeline.send(mixedRequests(ids, pipeline.destinations.s3));
    await pipeline.waitForResults(ids, 120_000);

    for (const id of ids) {
      const results = pipeline.resultsFor(id);
      expect(results, id).toHaveLength(1);
      expect(results[0]).toMatchObject({
        status: 'errored',
        attempts: 2,
        response: null,
        error: { type: 'provider_results_gone' },
      });
    }
    const ended = pipeline.events('Batch Ended');
    // A first batch and a retry batch per provider, each found gone.
    expect(ended.length).toBeGreaterThanOrEqual(4);
    const totals = { errored: 0, retried: 0, members: 0 };
    for (const detail of ended) {
      expect(detail['results_gone'], String(detail['batch_id'])).toEqual([expect.any(String)]);
      const counts = detail['counts'] as Record<string, number>;
      totals.errored += counts['errored'] ?? 0;
      totals.retried += counts['retried'] ?? 0;
      totals.members += detail['request_count'] as number;
    }
    expect(totals.errored).toBe(ids.length);
    expect(totals.retried).toBe(ids.length);
    // Every member of every batch has exactly one outcome: delivered here or moved on.
    expect(totals.members).toBe(ids.length + totals.retried);
    expect(pipeline.events('Batch Undeliverable')).toEqual([]);
    expect(await pipeline.queueDepth(pipeline.stack.completionDlqUrl)).toBe(0);
  });
});
