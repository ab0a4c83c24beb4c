import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idsOf, mixedRequests } from '../../support/requests.js';
import { type Pipeline, startPipeline } from './pipelineHarness.js';

let pipeline: Pipeline;
const runnerLog: string[] = [];

beforeAll(async () => {
  // Every batch's first results download is cut mid-line after 3 lines; downloads are slow
  // and results come back in an order unrelated to the input.
  pipeline = await startPipeline({
    log: (line) => runnerLog.push(line),
    simulator: {
      seed: 11,
      faults: {
        truncateResults: { afterLines: 3, times: 1 },
        resultsDelayMs: 20,
        shuffleResults: true,
      },
    },
  });
});

afterAll(async () => {
  await pipeline?.stop();
});

describe('Pipeline: results downloads that break', () => {
  it('retries a truncated download and still delivers every result exactly once', async () => {
    const ids = idsOf('dl', 20);
    await pipeline.send(mixedRequests(ids, pipeline.destinations.s3));
    await pipeline.waitForResults(ids, 90_000);

    for (const id of ids) {
      const results = pipeline.resultsFor(id);
      expect(results, id).toHaveLength(1);
      expect(results[0]?.status).toBe('succeeded');
    }
    // The first completion of each batch failed on the cut download and was tried again.
    expect(runnerLog.filter((l) => l.startsWith('completion:')).length).toBeGreaterThanOrEqual(2);
    expect(await pipeline.queueDepth(pipeline.stack.completionDlqUrl)).toBe(0);
  });
});
