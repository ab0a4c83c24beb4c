import { describe, expect, it, vi } from 'vitest';
import {
  BatchUndeliverableDetailSchema,
  DETAIL_TYPES,
} from '../../../../shared/contract/events.js';
import { METRIC } from '../../../../shared/contract/metrics.js';
import {
  AuthError,
  NotFoundError,
  PROVIDER_RESULTS_GONE,
  UnavailableError,
} from '../../../../shared/domain/errors.js';
import { createCollector } from '../../../../shared/usecases/createCollector.js';
import { createCompletion } from '../../../../shared/usecases/createCompletion.js';
import { createPoller } from '../../../../shared/usecases/createPoller.js';
import { providerResultsGoneOf } from '../../../../shared/usecases/haltOnProviderResultsGone.js';
import { type FakeRuntime, fakeRuntime } from '../../../support/fakeRuntime.js';
import { anthropicRequest } from '../../../support/requests.js';

const DESTINATION = {
  type: 'sqs',
  queue_url: 'https://sqs.us-east-1.amazonaws.com/111111111111/results',
} as const;

/** Collects three requests into one batch, submits it and lets the provider end it. */
const endedBatch = async (runtime: FakeRuntime): Promise<string> => {
  const report = await createCollector(runtime.deps)(
    ['a', 'b', 'c'].map((id) => ({
      messageId: `m-${id}`,
      body: JSON.stringify(anthropicRequest(id, DESTINATION)),
    })),
  );
  const [batchId] = report.batches;
  if (batchId === undefined) throw new Error('no batch was made');
  expect((await createCompletion(runtime.deps)(batchId)).outcome).toBe('submitted');
  runtime.clock.advance(5 * 60_000);
  await createPoller(runtime.deps)();
  expect((await runtime.store.getBatch(batchId))?.state).toBe('ended');
  return batchId;
};

const undeliverable = (runtime: FakeRuntime) =>
  runtime.events
    .published()
    .filter((e) => e.detailType === DETAIL_TYPES.batchUndeliverable)
    .map((e) => e.detail);

describe('completion of a batch whose provider no longer keeps its results', () => {
  it('halts it visibly once: code, metric, event, no delivery, no retry, off the poller', async () => {
    const runtime = fakeRuntime();
    const batchId = await endedBatch(runtime);
    // Completion did not run while the provider kept the results (an outage of a month).
    runtime.provider.expireResults(29 * 86_400_000);
    runtime.clock.advance(30 * 86_400_000);
    const queued = runtime.completionQueue.size;

    const report = await createCompletion(runtime.deps)(batchId);

    expect(report.outcome).toBe('provider-results-gone');
    expect(runtime.deliverer.allResults()).toEqual([]);
    const batch = await runtime.store.getBatch(batchId);
    expect(batch?.state).toBe('ended');
    expect(batch?.lastError).toMatch(/^provider_results_gone: the provider no longer keeps/);
    expect(batch?.completionLeaseUntil).toBeNull();
    expect(batch?.nextPollAt).toBe('9999-12-31T23:59:59.999Z');
    expect(runtime.metrics.total(METRIC.BatchResultsGone)).toBe(1);
    expect(runtime.metrics.total(METRIC.BatchArtifactsMissing)).toBe(0);
    const events = undeliverable(runtime);
    expect(events).toEqual([
      expect.objectContaining({
        batch_id: batchId,
        provider: 'anthropic',
        request_count: 3,
        code: 'provider_results_gone',
        missing: `memory://results/${batch?.providerBatchId}`,
      }),
    ]);
    // The event is what the published JSON schema says it is.
    expect(BatchUndeliverableDetailSchema.safeParse(events[0]).success).toBe(true);

    // Not handed to completion again: no endless retry, nothing to a dead-letter queue.
    runtime.clock.advance(60 * 60_000);
    expect((await createPoller(runtime.deps)()).examined).toBe(0);
    expect(runtime.completionQueue.size).toBe(queued);
  });

  it('delivers results archived before the provider let them go', async () => {
    const runtime = fakeRuntime();
    const batchId = await endedBatch(runtime);
    runtime.provider.expireResults(29 * 86_400_000);

    const report = await createCompletion(runtime.deps)(batchId);
    runtime.clock.advance(30 * 86_400_000);

    expect(report.outcome).toBe('completed');
    expect(runtime.deliverer.allResults()).toHaveLength(3);
    expect(runtime.metrics.total(METRIC.BatchResultsGone)).toBe(0);
  });

  it('still retries a results download that is missing for now, or failing', async () => {
    for (const error of [
      new NotFoundError('results 404', { code: 'not_found' }),
      new UnavailableError('provider 503', { code: 'unavailable' }),
    ]) {
      const runtime = fakeRuntime();
      const batchId = await endedBatch(runtime);
      vi.spyOn(runtime.provider, 'openResults').mockRejectedValueOnce(error);

      await expect(createCompletion(runtime.deps)(batchId)).rejects.toBe(error);

      const batch = await runtime.store.getBatch(batchId);
      expect(batch?.nextPollAt).not.toMatch(/^9999/);
      expect(batch?.completionLeaseUntil ?? null).toBeNull();
      expect(runtime.metrics.total(METRIC.BatchResultsGone)).toBe(0);
      expect(undeliverable(runtime)).toEqual([]);
      // The retry delivers every member.
      expect((await createCompletion(runtime.deps)(batchId)).outcome).toBe('completed');
      expect(runtime.deliverer.allResults()).toHaveLength(3);
    }
  });
});

describe('providerResultsGoneOf', () => {
  it('names what the provider confirmed gone, and nothing else', () => {
    const gone = (details: Record<string, unknown>) =>
      new NotFoundError('gone', { code: PROVIDER_RESULTS_GONE, details });
    expect(providerResultsGoneOf(gone({ ref: 'file-abc' }))).toBe('file-abc');
    expect(providerResultsGoneOf(gone({}))).toBe('the batch results');
    // A bare 404, another class with the code, anything else: retried, not halted.
    expect(providerResultsGoneOf(new NotFoundError('404', { code: 'not_found' }))).toBeNull();
    expect(providerResultsGoneOf(new AuthError('403', { code: PROVIDER_RESULTS_GONE }))).toBeNull();
    expect(providerResultsGoneOf(new Error(PROVIDER_RESULTS_GONE))).toBeNull();
  });
});
