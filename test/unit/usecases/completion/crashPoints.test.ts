import { describe, expect, it } from 'vitest';
import { destinationKey } from '../../../../shared/contract/destination.js';
import type { StatusCounts } from '../../../../shared/contract/events.js';
import { METRIC } from '../../../../shared/contract/metrics.js';
import type { ResultV1 } from '../../../../shared/contract/result.js';
import { providerCustomIdOf } from '../../../../shared/domain/providerCustomIdOf.js';
import {
  type CompletionReport,
  createCompletion,
} from '../../../../shared/usecases/createCompletion.js';
import { type FakeRuntime, fakeRuntime } from '../../../support/fakeRuntime.js';
import {
  type Answer,
  type EndedBatch,
  FIFO_DESTINATION,
  S3_DESTINATION,
  seedEndedBatch,
} from './endedBatch.js';
import { type CrashPlan, instrumentIo } from './ioCalls.js';

const SIZE = 13;
const CHUNK_SIZE = 4;
/** SQS FIFO drops a message whose deduplication id it saw in the last five minutes. */
const FIFO_DEDUP_WINDOW_MS = 5 * 60_000;
/** How soon a failed completion message comes back (`BATCHLANE_COMPLETION_RETRY_SECONDS`). */
const RETRY_SOON_MS = 30_000;
const FAR_FUTURE = '9999-12-31T23:59:59.999Z';

const answerOf = (index: number): Answer =>
  index === 2
    ? 'overloaded'
    : index === 5
      ? 'missing'
      : index === 8
        ? 'invalid'
        : index === 11
          ? 'malformed'
          : 'succeeded';
/** The members sent again (retryable error, missing, malformed) and what they end with. */
const RETRIED = new Set([2, 5, 11]);
const destinationOf = (index: number) => (index % 3 === 0 ? FIFO_DESTINATION : S3_DESTINATION);

/** The batch's counts once completed: the one final error, the retried, the rest succeeded. */
const EXPECTED_COUNTS: StatusCounts = {
  succeeded: SIZE - 1 - RETRIED.size,
  errored: 1,
  expired: 0,
  canceled: 0,
  rejected: 0,
  retried: RETRIED.size,
};

/** One delivery of one result, as a destination saw it. */
interface Arrival {
  readonly result: ResultV1;
  readonly destination: string;
  readonly part: string;
  readonly at: number;
}

/** What a member ends with: its status, and on which attempt. */
interface Expected {
  readonly status: ResultV1['status'];
  readonly attempts: number;
}

/** The outcome every member of the batch {@link setUp} seeds ends with. */
const expectedOf = (index: number): Expected => ({
  status: index === 8 ? 'errored' : 'succeeded',
  attempts: RETRIED.has(index) ? 2 : 1,
});

/** A fake runtime whose deliverer notes when each delivery arrived (by the fake clock). */
const setUp = async (
  seed: (rt: FakeRuntime) => Promise<EndedBatch> = (rt) =>
    seedEndedBatch(rt, { size: SIZE, partSize: 5, answerOf, destinationOf }),
): Promise<{ rt: FakeRuntime; batch: EndedBatch; arrivals: Arrival[] }> => {
  const rt = fakeRuntime({ settings: { publishRequestEvents: true } });
  const batch = await seed(rt);
  const arrivals: Arrival[] = [];
  const deliver = rt.deliverer.deliver.bind(rt.deliverer);
  rt.deliverer.deliver = async (destination, results, context) => {
    const report = await deliver(destination, results, context);
    const failed = new Set(report.failed.map((f) => f.customId));
    for (const result of results) {
      if (failed.has(result.custom_id)) continue;
      arrivals.push({
        result,
        destination: destinationKey(destination),
        part: context.part,
        at: rt.clock.now().getTime(),
      });
    }
    return report;
  };
  return { rt, batch, arrivals };
};

/**
 * Runs completion on every batch not yet completed, as the completion queue and the poller
 * would (a failed run's message back soon, a held lease waited out, a running retry batch
 * polled again later), until none is left or the rounds run out.
 */
const runToTheEnd = async (rt: FakeRuntime, firstBatchId: string): Promise<CompletionReport[]> => {
  const complete = createCompletion(rt.deps, { chunkSize: CHUNK_SIZE });
  const reports: CompletionReport[] = [];
  const attempts = new Map<string, number>();
  for (let round = 0; round < 40; round += 1) {
    const due = (await rt.store.listDueBatches(FAR_FUTURE, 100)).map((b) => b.batchId);
    const batchIds = [firstBatchId, ...due.filter((id) => id !== firstBatchId)];
    let progressed = false;
    for (const batchId of batchIds) {
      const batch = await rt.store.getBatch(batchId);
      if (batch === null || batch.state === 'completed') continue;
      const attempt = (attempts.get(batchId) ?? 0) + 1;
      attempts.set(batchId, attempt);
      try {
        const report = await complete(batchId, { attempt });
        reports.push(report);
        if (report.outcome === 'completed') progressed = true;
      } catch {
        // Its message comes back soon.
      }
    }
    const open = (await rt.store.listDueBatches(FAR_FUTURE, 100)).filter(
      (b) => b.batchId === firstBatchId || b.requestCount > 0,
    );
    if (open.length === 0) return reports;
    // A held lease runs out, a retry batch runs at its provider.
    rt.clock.advance(progressed ? RETRY_SOON_MS : 61_000);
  }
  return reports;
};

/** A clean run, counted: every I/O call completion makes on this batch. */
const cleanRunCalls = async (
  seed?: (rt: FakeRuntime) => Promise<EndedBatch>,
): Promise<readonly string[]> => {
  const { rt, batch } = await setUp(seed);
  const { deps, log } = instrumentIo(rt.deps, null);
  const report = await createCompletion(deps, { chunkSize: CHUNK_SIZE })(batch.batchId);
  expect(report.outcome).toBe('completed');
  return log.calls;
};

/** Every member's results: delivered, with one outcome, each destination's way. */
const expectEveryMemberOnce = (
  batch: EndedBatch,
  arrivals: readonly Arrival[],
  expected: (index: number) => Expected = expectedOf,
): void => {
  for (const [index, customId] of batch.customIds.entries()) {
    const mine = arrivals.filter((a) => a.result.custom_id === customId);
    expect(mine.length, `${customId} delivered`).toBeGreaterThan(0);
    const outcomes = new Set(
      mine.map((a) => JSON.stringify([a.result.status, a.result.batch_id, a.result.attempts])),
    );
    expect(outcomes.size, `${customId} has one outcome`).toBe(1);
    const [first] = mine;
    expect(first?.result.status).toBe(expected(index).status);
    expect(first?.result.attempts).toBe(expected(index).attempts);
    if (destinationOf(index) === FIFO_DESTINATION) {
      // Deduplicated by custom_id within the window: one message reaches the consumer.
      const reached = mine.filter(
        (a, i) => !mine.slice(0, i).some((b) => a.at - b.at < FIFO_DEDUP_WINDOW_MS),
      );
      expect(reached, `${customId} reaches its FIFO queue once`).toHaveLength(1);
    } else {
      // Delivered again only under the same object name: S3 keeps one copy.
      expect(new Set(mine.map((a) => a.part)).size, `${customId} under one key`).toBe(1);
    }
  }
};

describe('completion crashed at every I/O call, then run again', () => {
  it('ends with every member delivered once and the batch completed, whatever call failed', {
    timeout: 60_000,
  }, async () => {
    const calls = await cleanRunCalls();
    // Every kind of call the stages make is among them, checkpoint writes included.
    for (const call of [
      'store.getBatch',
      'store.updateBatch',
      'store.listItems',
      'blobs.getStream',
      'store.markForRetry',
      'deliverer.deliver',
      'events.publish',
      'store.createBatch',
      'store.moveToRetryBatch',
      'store.exceptionsOf',
      'costs.record',
      'turnarounds.record',
      'providers.anthropic.deleteArtifacts',
    ]) {
      expect(calls).toContain(call);
    }
    const failures: string[] = [];
    for (const mode of ['throw', 'die'] as const) {
      for (let at = 1; at <= calls.length; at += 1) {
        const plan: CrashPlan = { at, mode };
        const { rt, batch, arrivals } = await setUp();
        const { deps, log } = instrumentIo(rt.deps, plan);
        try {
          await createCompletion(deps, { chunkSize: CHUNK_SIZE })(batch.batchId, { attempt: 1 });
        } catch {
          // The crash; the message comes back.
        }
        expect(log.crashed?.step, `${mode} at ${at} crashed`).toBe(at);
        // A run that died held its lease: the next one waits it out.
        rt.clock.advance(mode === 'die' ? rt.deps.settings.leaseMs + 1 : RETRY_SOON_MS);
        await runToTheEnd(rt, batch.batchId);
        try {
          const record = await rt.store.getBatch(batch.batchId);
          expect(record?.state).toBe('completed');
          expect(record?.completionLeaseUntil).toBeNull();
          expect(record?.counts).toEqual(EXPECTED_COUNTS);
          // Each result counted once: by the checkpoint, or by its exception item.
          expect(await countedOnce(rt, batch, record?.checkpoint?.counts)).toEqual(EXPECTED_COUNTS);
          if (mode === 'throw') expectEveryMemberOnce(batch, arrivals);
          else expectEveryMemberAtLeastOnce(batch, arrivals);
        } catch (error) {
          failures.push(`${mode} at ${at} (${calls[at - 1]}): ${(error as Error).message}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });
});

const DAY_MS = 86_400_000;
/** Members whose last attempt it was (1, 6) or whose deadline passed (4): delivered errored. */
const GONE_ERRORED = new Set([1, 4, 6]);
const GONE_SIZE = 8;
const GONE_COUNTS: StatusCounts = {
  ...EXPECTED_COUNTS,
  succeeded: 0,
  errored: GONE_ERRORED.size,
  retried: GONE_SIZE - GONE_ERRORED.size,
};

/**
 * A batch ended at the provider and never archived, whose results the provider let go a day
 * before completion comes: every member is sent again, or delivered errored.
 */
const seedGoneBatch = async (rt: FakeRuntime): Promise<EndedBatch> => {
  const seededAt = rt.clock.now().getTime();
  const batch = await seedEndedBatch(rt, {
    size: GONE_SIZE,
    partSize: 3,
    destinationOf,
    atProvider: true,
    attemptsOf: (i) => (i === 1 || i === 6 ? 2 : 1),
    deadlineOf: (i) => (i === 4 ? new Date(seededAt + DAY_MS).toISOString() : null),
  });
  rt.provider.expireResults(29 * DAY_MS);
  rt.clock.advance(30 * DAY_MS);
  return batch;
};

const goneExpectedOf = (index: number): Expected =>
  GONE_ERRORED.has(index)
    ? { status: 'errored', attempts: index === 4 ? 1 : 2 }
    : { status: 'succeeded', attempts: 2 };

describe('completion of a batch whose results are gone, crashed at every I/O call, then run again', () => {
  it('ends with every member sent again or delivered errored once, whatever call failed', {
    timeout: 60_000,
  }, async () => {
    const calls = await cleanRunCalls(seedGoneBatch);
    for (const call of [
      'providers.anthropic.retrieve',
      'providers.anthropic.openResults',
      'blobs.exists',
      'store.updateBatch',
      'deliverer.deliver',
      'store.createBatch',
      'store.moveToRetryBatch',
      'events.publish',
    ]) {
      expect(calls).toContain(call);
    }
    const failures: string[] = [];
    for (const mode of ['throw', 'die'] as const) {
      for (let at = 1; at <= calls.length; at += 1) {
        const { rt, batch, arrivals } = await setUp(seedGoneBatch);
        const { deps, log } = instrumentIo(rt.deps, { at, mode });
        try {
          await createCompletion(deps, { chunkSize: CHUNK_SIZE })(batch.batchId, { attempt: 1 });
        } catch {
          // The crash; the message comes back.
        }
        expect(log.crashed?.step, `${mode} at ${at} crashed`).toBe(at);
        rt.clock.advance(mode === 'die' ? rt.deps.settings.leaseMs + 1 : RETRY_SOON_MS);
        await runToTheEnd(rt, batch.batchId);
        try {
          const record = await rt.store.getBatch(batch.batchId);
          expect(record?.state).toBe('completed');
          expect(record?.resultsGone).toHaveLength(1);
          expect(record?.counts).toEqual(GONE_COUNTS);
          // No result line to checkpoint: each move is counted once, by its item (errored
          // members by the sweep that delivered them, or by their item after a failed try).
          const counted = await countedOnce(rt, batch, record?.checkpoint?.counts);
          expect(counted.retried).toBe(GONE_COUNTS.retried);
          expect(counted.errored).toBeLessThanOrEqual(GONE_COUNTS.errored);
          // Found gone once, whichever run found it.
          expect(rt.metrics.total(METRIC.BatchResultsGone)).toBe(1);
          for (const arrival of arrivals) {
            if (arrival.result.status !== 'errored') continue;
            expect(arrival.result.error?.type).toBe('provider_results_gone');
          }
          if (mode === 'throw') expectEveryMemberOnce(batch, arrivals, goneExpectedOf);
          else expectEveryMemberAtLeastOnce(batch, arrivals, goneExpectedOf);
        } catch (error) {
          failures.push(`${mode} at ${at} (${calls[at - 1]}): ${(error as Error).message}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });
});

/** The checkpoint's counts plus what the batch's exception items say. */
const countedOnce = async (
  rt: FakeRuntime,
  batch: EndedBatch,
  checkpointCounts: StatusCounts | undefined,
): Promise<StatusCounts> => {
  const counts = { ...EXPECTED_COUNTS, ...checkpointCounts };
  for (const key of Object.keys(counts) as (keyof StatusCounts)[]) {
    counts[key] = checkpointCounts?.[key] ?? 0;
  }
  const ids = batch.customIds.map((_, i) => providerCustomIdOf(i));
  for (const item of (await rt.store.exceptionsOf(batch.batchId, ids)).values()) {
    if (item.status !== null) counts[item.status] += 1;
  }
  return counts;
};

/** As {@link expectEveryMemberOnce}, but a FIFO queue may see a resend past its window. */
const expectEveryMemberAtLeastOnce = (
  batch: EndedBatch,
  arrivals: readonly Arrival[],
  expected: (index: number) => Expected = expectedOf,
): void => {
  expectEveryMemberOnce(
    batch,
    arrivals.map((a) => ({ ...a, at: 0 })),
    expected,
  );
};
