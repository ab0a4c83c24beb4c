import { describe, expect, it, vi } from 'vitest';
import {
  BatchEndedDetailSchema,
  DETAIL_TYPES,
  type StatusCounts,
} from '../../../../shared/contract/events.js';
import { METRIC } from '../../../../shared/contract/metrics.js';
import type { ResultV1 } from '../../../../shared/contract/result.js';
import {
  AuthError,
  NotFoundError,
  PROVIDER_RESULTS_GONE,
  UnavailableError,
} from '../../../../shared/domain/errors.js';
import { partMembersKeyOf } from '../../../../shared/domain/partMembers.js';
import { providerResultsGoneOf } from '../../../../shared/usecases/completion/archiveResults.js';
import { zeroCounts } from '../../../../shared/usecases/completion/deliveryTotals.js';
import { createCompletion } from '../../../../shared/usecases/createCompletion.js';
import { type FakeRuntime, fakeRuntime } from '../../../support/fakeRuntime.js';
import { readAll } from '../../../support/fakes/readAll.js';
import { type EndedBatchSpec, resultsByCustomId, seedEndedBatch } from './endedBatch.js';

const DAY_MS = 86_400_000;
/** Anthropic keeps results 29 days: completion comes a day after that. */
const RETENTION_MS = 29 * DAY_MS;
const LATE_MS = 30 * DAY_MS;

const counts = (partial: Partial<StatusCounts>): StatusCounts => ({
  ...zeroCounts(),
  ...partial,
});

/**
 * A batch ended at the fake provider whose results were never archived, and completion a day
 * after the provider let them go (`file`: only that one of its two files).
 */
const goneBatch = async (
  rt: FakeRuntime,
  spec: Omit<EndedBatchSpec, 'atProvider'>,
  file: 'results' | 'errors' | 'both' = 'both',
) => {
  const seeded = await seedEndedBatch(rt, { ...spec, atProvider: true });
  rt.provider.expireResults(RETENTION_MS, file);
  rt.clock.advance(LATE_MS);
  const providerBatchId = (await rt.store.getBatch(seeded.batchId))?.providerBatchId ?? '';
  return { ...seeded, providerBatchId };
};

/** Completes a retry batch once its provider has ended it, and returns its report. */
const completeRetryBatch = async (rt: FakeRuntime, retryBatchId: string | null) => {
  expect(retryBatchId).not.toBeNull();
  rt.clock.advance(61_000);
  return createCompletion(rt.deps)(retryBatchId ?? '');
};

/** Every member's one outcome, by index: throws when a member has none, or more than one. */
const oneOutcomeEach = (rt: FakeRuntime, customIds: readonly string[]): ResultV1[] => {
  const byId = resultsByCustomId(rt);
  expect(byId.size).toBe(customIds.length);
  return customIds.map((customId) => {
    const results = byId.get(customId) ?? [];
    expect(results, `${customId} has one outcome`).toHaveLength(1);
    return results[0] as ResultV1;
  });
};

const undeliverable = (rt: FakeRuntime) =>
  rt.events.published().filter((e) => e.detailType === DETAIL_TYPES.batchUndeliverable);

describe('completion of a batch whose provider no longer keeps its results', () => {
  it('sends every member again while attempts allow, then delivers each once', async () => {
    const rt = fakeRuntime();
    const { batchId, customIds, providerBatchId } = await goneBatch(rt, { size: 3 });
    const ref = `memory://results/${providerBatchId}`;

    const report = await createCompletion(rt.deps)(batchId);

    expect(report).toMatchObject({ outcome: 'completed', delivered: 0, retried: 3 });
    expect(rt.deliverer.allResults()).toEqual([]);
    const batch = await rt.store.getBatch(batchId);
    expect(batch).toMatchObject({
      state: 'completed',
      counts: counts({ retried: 3 }),
      resultKeys: [],
      resultsGone: [ref],
      completionLeaseUntil: null,
    });
    expect(batch?.lastError).toBe(
      `provider_results_gone: the provider no longer keeps ${ref} (past its retention, or deleted); the requests they answered were sent again or delivered errored`,
    );
    expect(rt.metrics.total(METRIC.BatchResultsGone)).toBe(1);
    expect(undeliverable(rt)).toEqual([]);
    // Subscribers see why: the batch's end names what the provider no longer kept.
    const [ended] = rt.events.detailsOf<Record<string, unknown>>(DETAIL_TYPES.batchEnded);
    expect(ended).toMatchObject({ batch_id: batchId, results_gone: [ref] });
    expect(BatchEndedDetailSchema.safeParse(ended).success).toBe(true);
    const [delivered] = rt.events.detailsOf<Record<string, unknown>>(DETAIL_TYPES.batchDelivered);
    expect(delivered).toMatchObject({ retry_batch_ids: [report.retryBatchId] });

    const retried = await completeRetryBatch(rt, report.retryBatchId);
    expect(retried).toMatchObject({ outcome: 'completed', delivered: 3 });
    for (const result of oneOutcomeEach(rt, customIds)) {
      expect(result).toMatchObject({
        status: 'succeeded',
        attempts: 2,
        batch_id: report.retryBatchId,
      });
    }
    // The retry batch's own results were kept: nothing more is gone.
    expect(rt.metrics.total(METRIC.BatchResultsGone)).toBe(1);
  });

  it('delivers every member errored when no attempt is left', async () => {
    const rt = fakeRuntime({ settings: { maxAttempts: 1 } });
    const { batchId, customIds, providerBatchId } = await goneBatch(rt, { size: 3 });

    const report = await createCompletion(rt.deps)(batchId);

    expect(report).toMatchObject({ outcome: 'completed', delivered: 3, retried: 0 });
    expect(report.retryBatchId).toBeNull();
    for (const result of oneOutcomeEach(rt, customIds)) {
      expect(result).toMatchObject({
        status: 'errored',
        attempts: 1,
        batch_id: batchId,
        response: null,
        error: { type: 'provider_results_gone' },
      });
      expect(result.error?.message).toContain(`memory://results/${providerBatchId}`);
    }
    expect((await rt.store.getBatch(batchId))?.counts).toEqual(counts({ errored: 3 }));
  });

  it('sends again those with attempts and time left, and delivers the rest errored', async () => {
    const rt = fakeRuntime();
    const seededAt = rt.clock.now().getTime();
    const { batchId, customIds } = await goneBatch(rt, {
      size: 5,
      // Member 0 has had its last attempt; member 1's deadline passed while the batch waited.
      attemptsOf: (i) => (i === 0 ? 2 : 1),
      deadlineOf: (i) =>
        i === 1
          ? new Date(seededAt + DAY_MS).toISOString()
          : i === 2
            ? new Date(seededAt + 60 * DAY_MS).toISOString()
            : null,
    });

    const report = await createCompletion(rt.deps)(batchId);

    expect(report).toMatchObject({ outcome: 'completed', delivered: 2, retried: 3 });
    expect((await rt.store.getBatch(batchId))?.counts).toEqual(counts({ errored: 2, retried: 3 }));
    await completeRetryBatch(rt, report.retryBatchId);
    const outcomes = oneOutcomeEach(rt, customIds);
    expect(outcomes.map((r) => [r.status, r.attempts, r.error?.type ?? null])).toEqual([
      ['errored', 2, 'provider_results_gone'],
      ['errored', 1, 'provider_results_gone'],
      ['succeeded', 2, null],
      ['succeeded', 2, null],
      ['succeeded', 2, null],
    ]);
  });

  it('delivers the output file it still had when the error file is gone', async () => {
    const rt = fakeRuntime();
    rt.provider.splitErrors();
    const { batchId, customIds, providerBatchId } = await goneBatch(
      rt,
      { size: 5, answerOf: (i) => (i >= 3 ? 'invalid' : 'succeeded') },
      'errors',
    );

    const report = await createCompletion(rt.deps)(batchId);

    expect(report).toMatchObject({ outcome: 'completed', delivered: 3, retried: 2 });
    expect(await rt.store.getBatch(batchId)).toMatchObject({
      resultKeys: [`batches/${batchId}/results-0.jsonl`],
      resultsGone: [`memory://errors/${providerBatchId}`],
      counts: counts({ succeeded: 3, retried: 2 }),
    });
    await completeRetryBatch(rt, report.retryBatchId);
    // The errors were lost with their file: those requests ran again (and succeeded).
    expect(oneOutcomeEach(rt, customIds).map((r) => [r.status, r.attempts])).toEqual([
      ['succeeded', 1],
      ['succeeded', 1],
      ['succeeded', 1],
      ['succeeded', 2],
      ['succeeded', 2],
    ]);
  });

  it('delivers the error file it still had when the output file is gone', async () => {
    const rt = fakeRuntime();
    rt.provider.splitErrors();
    const { batchId, customIds, providerBatchId } = await goneBatch(
      rt,
      { size: 5, answerOf: (i) => (i >= 3 ? 'invalid' : 'succeeded') },
      'results',
    );

    const report = await createCompletion(rt.deps)(batchId);

    expect(report).toMatchObject({ outcome: 'completed', delivered: 2, retried: 3 });
    expect(await rt.store.getBatch(batchId)).toMatchObject({
      resultKeys: [`batches/${batchId}/results-1.jsonl`],
      resultsGone: [`memory://results/${providerBatchId}`],
      counts: counts({ errored: 2, retried: 3 }),
    });
    await completeRetryBatch(rt, report.retryBatchId);
    expect(
      oneOutcomeEach(rt, customIds).map((r) => [r.status, r.attempts, r.error?.type ?? null]),
    ).toEqual([
      ['succeeded', 2, null],
      ['succeeded', 2, null],
      ['succeeded', 2, null],
      ['errored', 1, 'invalid_request_error'],
      ['errored', 1, 'invalid_request_error'],
    ]);
  });

  it('goes by what the first run found: a rerun asks the provider nothing and ends the same', async () => {
    const rt = fakeRuntime();
    const { batchId, customIds } = await goneBatch(rt, {
      size: 4,
      attemptsOf: (i) => (i % 2 === 0 ? 2 : 1),
    });
    // The run fails after recording what is gone: its first delivery is refused.
    const deliver = vi
      .spyOn(rt.deliverer, 'deliver')
      .mockRejectedValueOnce(new UnavailableError('SQS is down', { code: 'unavailable' }));
    await expect(createCompletion(rt.deps)(batchId)).rejects.toThrow(/could not be delivered/);
    expect((await rt.store.getBatch(batchId))?.resultsGone).toHaveLength(1);
    deliver.mockRestore();
    const retrieve = vi.spyOn(rt.provider, 'retrieve');
    const openResults = vi.spyOn(rt.provider, 'openResults');

    const report = await createCompletion(rt.deps)(batchId);

    expect(report).toMatchObject({ outcome: 'completed', delivered: 2, retried: 2 });
    expect(retrieve).not.toHaveBeenCalled();
    expect(openResults).not.toHaveBeenCalled();
    expect(rt.metrics.total(METRIC.BatchResultsGone)).toBe(1);
    await completeRetryBatch(rt, report.retryBatchId);
    expect(oneOutcomeEach(rt, customIds).map((r) => r.status)).toEqual([
      'errored',
      'succeeded',
      'errored',
      'succeeded',
    ]);
  });

  it('still halts when a member sidecar is gone too, and completes once it is restored', async () => {
    const rt = fakeRuntime();
    const { batchId, customIds } = await goneBatch(rt, { size: 3, partSize: 2 });
    const sidecar = partMembersKeyOf(batchId, 2);
    const kept = await readAll(await rt.blobs.getStream(sidecar));
    await rt.blobs.delete(sidecar);
    const complete = createCompletion(rt.deps);

    expect((await complete(batchId)).outcome).toBe('artifacts-missing');

    expect(rt.deliverer.allResults()).toEqual([]);
    const halted = await rt.store.getBatch(batchId);
    expect(halted).toMatchObject({ state: 'ended', nextPollAt: '9999-12-31T23:59:59.999Z' });
    expect(halted?.lastError).toMatch(
      /^artifacts_missing: .*parts\/0*2\.members\.jsonl is missing/,
    );
    expect(undeliverable(rt).map((e) => e.detail)).toEqual([
      expect.objectContaining({ code: 'artifacts_missing', missing: rt.blobs.uri(sidecar) }),
    ]);
    expect(rt.metrics.total(METRIC.BatchArtifactsMissing)).toBe(1);
    // What the provider no longer keeps was found and recorded all the same.
    expect(halted?.resultsGone).toHaveLength(1);
    expect(rt.metrics.total(METRIC.BatchResultsGone)).toBe(1);

    await rt.blobs.put(sidecar, kept);
    const report = await complete(batchId);
    expect(report).toMatchObject({ outcome: 'completed', retried: 3 });
    await completeRetryBatch(rt, report.retryBatchId);
    expect(oneOutcomeEach(rt, customIds).map((r) => r.status)).toEqual([
      'succeeded',
      'succeeded',
      'succeeded',
    ]);
  });

  it('halts before delivering anyone when the input file to send members again is gone', async () => {
    const rt = fakeRuntime();
    const { batchId, customIds } = await goneBatch(rt, {
      size: 3,
      // Member 0 would be delivered errored, the others sent again.
      attemptsOf: (i) => (i === 0 ? 2 : 1),
    });
    const inputKey = `batches/${batchId}/input.jsonl`;
    const input = await readAll(await rt.blobs.getStream(inputKey));
    await rt.blobs.delete(inputKey);
    const complete = createCompletion(rt.deps);

    expect((await complete(batchId)).outcome).toBe('artifacts-missing');

    expect(rt.deliverer.allResults()).toEqual([]);
    expect(undeliverable(rt).map((e) => e.detail)).toEqual([
      expect.objectContaining({ code: 'artifacts_missing', missing: rt.blobs.uri(inputKey) }),
    ]);

    await rt.blobs.put(inputKey, input);
    const report = await complete(batchId);
    expect(report).toMatchObject({ outcome: 'completed', delivered: 1, retried: 2 });
    await completeRetryBatch(rt, report.retryBatchId);
    expect(oneOutcomeEach(rt, customIds).map((r) => r.status)).toEqual([
      'errored',
      'succeeded',
      'succeeded',
    ]);
  });

  it('halts before delivering even what it archived when the input file is gone too', async () => {
    const rt = fakeRuntime();
    rt.provider.splitErrors();
    const { batchId, customIds } = await goneBatch(
      rt,
      { size: 4, answerOf: (i) => (i === 3 ? 'invalid' : 'succeeded') },
      'errors',
    );
    const inputKey = `batches/${batchId}/input.jsonl`;
    const input = await readAll(await rt.blobs.getStream(inputKey));
    await rt.blobs.delete(inputKey);
    const complete = createCompletion(rt.deps);

    expect((await complete(batchId)).outcome).toBe('artifacts-missing');

    // The output file was archived, but none of it went out: the batch halts whole.
    expect(await rt.blobs.exists(`batches/${batchId}/results-0.jsonl`)).toBe(true);
    expect(rt.deliverer.allResults()).toEqual([]);
    await rt.blobs.put(inputKey, input);
    const report = await complete(batchId);
    expect(report).toMatchObject({ outcome: 'completed', delivered: 3, retried: 1 });
    await completeRetryBatch(rt, report.retryBatchId);
    expect(oneOutcomeEach(rt, customIds).map((r) => [r.status, r.attempts])).toEqual([
      ['succeeded', 1],
      ['succeeded', 1],
      ['succeeded', 1],
      ['succeeded', 2],
    ]);
  });

  it('needs no input file when no member may be sent again', async () => {
    const rt = fakeRuntime({ settings: { maxAttempts: 1 } });
    const { batchId, customIds } = await goneBatch(rt, { size: 2 });
    await rt.blobs.delete(`batches/${batchId}/input.jsonl`);

    const report = await createCompletion(rt.deps)(batchId);

    expect(report).toMatchObject({ outcome: 'completed', delivered: 2, retried: 0 });
    expect(oneOutcomeEach(rt, customIds).map((r) => r.error?.type)).toEqual([
      'provider_results_gone',
      'provider_results_gone',
    ]);
  });

  it('completes a batch an earlier version halted as gone, once it is handed back', async () => {
    const rt = fakeRuntime({ settings: { maxAttempts: 1 } });
    const { batchId, customIds } = await goneBatch(rt, { size: 2 });
    // As the halt left it: `ended`, off the poller, its lastError naming what was gone.
    const ended = await rt.store.getBatch(batchId);
    await rt.store.updateBatch(batchId, ended?.version ?? 0, {
      nextPollAt: '9999-12-31T23:59:59.999Z',
      lastError: 'provider_results_gone: the provider no longer keeps the results',
    });

    const report = await createCompletion(rt.deps)(batchId);

    expect(report).toMatchObject({ outcome: 'completed', delivered: 2 });
    // Not taken for a batch the provider refused (`batch_failed`): its results are gone.
    expect(oneOutcomeEach(rt, customIds).map((r) => r.error?.type)).toEqual([
      'provider_results_gone',
      'provider_results_gone',
    ]);
  });

  it('delivers results archived before the provider let them go', async () => {
    const rt = fakeRuntime();
    const { batchId, customIds } = await seedEndedBatch(rt, { size: 3, atProvider: true });
    rt.provider.expireResults(RETENTION_MS);

    const report = await createCompletion(rt.deps)(batchId);
    rt.clock.advance(LATE_MS);

    expect(report).toMatchObject({ outcome: 'completed', delivered: 3, retried: 0 });
    expect(oneOutcomeEach(rt, customIds).map((r) => r.status)).toEqual([
      'succeeded',
      'succeeded',
      'succeeded',
    ]);
    expect(rt.metrics.total(METRIC.BatchResultsGone)).toBe(0);
    expect((await rt.store.getBatch(batchId))?.resultsGone).toBeUndefined();
  });

  it('still retries a results download that is missing for now, or failing', async () => {
    for (const error of [
      new NotFoundError('results 404', { code: 'not_found' }),
      new UnavailableError('provider 503', { code: 'unavailable' }),
    ]) {
      const rt = fakeRuntime();
      const { batchId } = await seedEndedBatch(rt, { size: 3, atProvider: true });
      vi.spyOn(rt.provider, 'openResults').mockRejectedValueOnce(error);

      await expect(createCompletion(rt.deps)(batchId)).rejects.toBe(error);

      const batch = await rt.store.getBatch(batchId);
      expect(batch?.nextPollAt).not.toMatch(/^9999/);
      expect(batch?.completionLeaseUntil ?? null).toBeNull();
      expect(batch?.resultsGone).toBeUndefined();
      expect(rt.metrics.total(METRIC.BatchResultsGone)).toBe(0);
      expect(undeliverable(rt)).toEqual([]);
      // The retry delivers every member.
      expect((await createCompletion(rt.deps)(batchId)).outcome).toBe('completed');
      expect(rt.deliverer.allResults()).toHaveLength(3);
    }
  });
});

describe('providerResultsGoneOf', () => {
  it('names what the provider confirmed gone, and nothing else', () => {
    const gone = (details: Record<string, unknown>) =>
      new NotFoundError('gone', { code: PROVIDER_RESULTS_GONE, details });
    expect(providerResultsGoneOf(gone({ ref: 'file-abc' }))).toBe('file-abc');
    expect(providerResultsGoneOf(gone({}))).toBe('the batch results');
    // A bare 404, another class with the code, anything else: retried, not taken for gone.
    expect(providerResultsGoneOf(new NotFoundError('404', { code: 'not_found' }))).toBeNull();
    expect(providerResultsGoneOf(new AuthError('403', { code: PROVIDER_RESULTS_GONE }))).toBeNull();
    expect(providerResultsGoneOf(new Error(PROVIDER_RESULTS_GONE))).toBeNull();
  });
});
