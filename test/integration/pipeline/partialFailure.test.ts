import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idsOf, mixedRequests } from '../../support/requests.js';
import { type Pipeline, startPipeline } from './pipelineHarness.js';

let pipeline: Pipeline;

beforeAll(async () => {
  // The simulator fails a share of every batch's items and expires each batch at 60% done.
  pipeline = await startPipeline({
    simulator: {
      seed: 7,
      faults: {
        itemErrorRates: { invalid_request_error: 0.1, overloaded_error: 0.1 },
        expireAtFraction: 0.6,
        http: { rate: 0.2, statuses: [429, 500, 503], retryAfterMs: 10 },
      },
    },
  });
});

afterAll(async () => {
  await pipeline?.stop();
});

describe('Pipeline: partial failure', () => {
  it('delivers one result per request with the status the provider gave it, and counts them on Batch Ended', async () => {
    const dest = pipeline.destinations.sqs;
    const ids = idsOf('pf', 60);
    await pipeline.send(mixedRequests(ids, dest));
    await pipeline.waitForResults(ids);

    const statuses = new Map<string, number>();
    const attempts = new Map<number, number>();
    for (const id of ids) {
      const results = pipeline.resultsFor(id);
      expect(results, id).toHaveLength(1);
      const result = results[0];
      statuses.set(result?.status ?? '', (statuses.get(result?.status ?? '') ?? 0) + 1);
      if (result?.status === 'errored') {
        expect(result.error?.type).toBeTruthy();
        expect(result.error?.message).toBeTruthy();
        expect(result.response).toBeNull();
      }
      if (result?.status === 'succeeded') expect(result.response).not.toBeNull();
      // Expired and retryable errors go to a new batch until the attempts run out (3 here);
      // a request that is wrong as sent is delivered at once.
      expect(result?.attempts ?? 0).toBeGreaterThanOrEqual(1);
      expect(result?.attempts ?? 0).toBeLessThanOrEqual(3);
      if (result?.status === 'expired') expect(result.attempts).toBe(3);
      if (result?.error?.type === 'overloaded_error') expect(result.attempts).toBe(3);
      attempts.set(result?.attempts ?? 0, (attempts.get(result?.attempts ?? 0) ?? 0) + 1);
    }
    expect(attempts.get(2) ?? 0).toBeGreaterThan(0);
    expect(statuses.get('succeeded') ?? 0).toBeGreaterThan(0);
    expect(statuses.get('errored') ?? 0).toBeGreaterThan(0);
    expect(statuses.get('expired') ?? 0).toBeGreaterThan(0);

    const ended = pipeline.events('Batch Ended');
    const totals = { succeeded: 0, errored: 0, expired: 0, canceled: 0, rejected: 0, retried: 0 };
    for (const detail of ended) {
      const counts = detail['counts'] as typeof totals;
      for (const key of Object.keys(totals) as (keyof typeof totals)[]) totals[key] += counts[key];
    }
    expect(totals.succeeded).toBe(statuses.get('succeeded') ?? 0);
    expect(totals.errored).toBe(statuses.get('errored') ?? 0);
    expect(totals.expired).toBe(statuses.get('expired') ?? 0);
    expect(totals.retried).toBeGreaterThan(0);
    // Every member of every batch has exactly one outcome: delivered here or moved on.
    const members = ended.reduce((n, d) => n + (d['request_count'] as number), 0);
    expect(members).toBe(ids.length + totals.retried);
  });
});
