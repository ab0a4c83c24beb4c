import { METRIC } from '../contract/metrics.js';
import type { BatchRecord } from '../domain/records.js';
import { archiveResults } from './completion/archiveResults.js';
import { CheckpointWriter } from './completion/CheckpointWriter.js';
import { type CompletionReport, reportOf } from './completion/CompletionReport.js';
import type { CompletionRun } from './completion/CompletionRun.js';
import {
  deliverResults,
  deliverUnanswered,
  requireInputWhenResultsGone,
} from './completion/deliverResults.js';
import { finalizeCompletion } from './completion/finalizeCompletion.js';
import {
  batchToComplete,
  type CompletionLease,
  leaseBatch,
  releaseLease,
} from './completion/leaseBatch.js';
import { loadMemberTable, type MemberTable } from './completion/loadMemberTable.js';
import { progressFrom } from './completion/settleDeliveries.js';
import { haltOnMissingArtifact, missingArtifactOf } from './haltOnMissingArtifact.js';
import type { RuntimeDeps } from './RuntimeDeps.js';

/**
 * From this try on, results a destination still refuses are parked rather than failing the
 * batch again: the other results are long delivered, and the batch must not wait on one
 * destination (nor reach the completion DLQ because of it).
 */
const PARK_FROM_ATTEMPT = 3;

/**
 * A run with less time left than this stops at the next checkpoint and hands the batch to a
 * fresh run, instead of being killed by its timeout mid-delivery: a killed run would leave
 * its lease to expire first, and resend what it had sent but not yet recorded.
 */
const PAUSE_RESERVE_MS = 45_000;

interface CompletionOptions {
  /** Results per chunk (default 500). */
  readonly chunkSize?: number;
}

interface RunOptions {
  /** Which try at this batch this is (the completion message's receive count). */
  readonly attempt?: number;
  /** Park what a destination keeps refusing, whatever the attempt. */
  readonly parkUndeliverable?: boolean;
  /** Time left in this invocation (ms); without it, a run never pauses. */
  readonly timeLeftMs?: () => number;
}

/**
 * Out of time: the next run resumes at the checkpoint. The batch is handed back and a new
 * completion message sent before this run returns, so nothing waits for the lease to run out.
 */
const pauseRun = async (
  deps: Pick<RuntimeDeps, 'completion' | 'logger' | 'metrics'>,
  run: CompletionRun,
  checkpoints: CheckpointWriter,
  at: { readonly fileIndex: number; readonly end: number },
): Promise<CompletionReport> => {
  const { batchId } = run.batch;
  await checkpoints.write({ completionLeaseUntil: null });
  await deps.completion.notifyEnded(batchId);
  deps.metrics.count(METRIC.CompletionPauses, 1);
  deps.logger.info('completion paused before the function timeout', {
    batchId,
    delivered: run.progress.delivered,
    fileIndex: at.fileIndex,
    offset: at.end,
  });
  return {
    batchId,
    outcome: 'paused',
    delivered: run.progress.delivered,
    retried: 0,
    skipped: run.progress.skipped,
    counts: null,
    retryBatchId: null,
  };
};

/**
 * The stages of a leased batch's completion: archive, member table, results chunk by chunk
 * (classify, deliver, park, checkpoint), members the results left out, then finalize.
 */
const completeLeased = async (
  deps: RuntimeDeps,
  leased: BatchRecord,
  lease: CompletionLease,
  members: Promise<MemberTable>,
  options: {
    readonly chunkSize: number;
    readonly parkRetryable: boolean;
    readonly timeLeftMs: () => number;
  },
): Promise<CompletionReport> => {
  // Short-lived functions (local tests) keep a quarter of their time in reserve instead.
  const reserveMs = Math.min(PAUSE_RESERVE_MS, options.timeLeftMs() / 4);
  // Both settle before either's failure is acted on: a halt for a missing sidecar then never
  // races the archive's write of what it found (results archived, or gone at the provider).
  const [archived, loaded] = await Promise.allSettled([
    archiveResults(deps, lease, leased),
    members,
  ]);
  if (archived.status === 'rejected') throw archived.reason;
  if (loaded.status === 'rejected') throw loaded.reason;
  const batch = archived.value;
  const table = loaded.value;
  const run: CompletionRun = {
    lease,
    batch,
    table,
    progress: progressFrom(batch.checkpoint),
    parkRetryable: options.parkRetryable,
    chunkSize: options.chunkSize,
  };
  const checkpoints = new CheckpointWriter(deps, lease, batch);
  try {
    await requireInputWhenResultsGone(deps, run);
    const reached = await deliverResults(
      deps,
      run,
      checkpoints,
      () => options.timeLeftMs() < reserveMs,
    );
    if (reached.paused) return await pauseRun(deps, run, checkpoints, reached.at);
    await deliverUnanswered(deps, run);
    return await finalizeCompletion(deps, run, checkpoints);
  } catch (error) {
    await checkpoints.drain();
    throw error;
  }
};

/**
 * The completion step for one ended batch:
 * 1. takes a lease on the batch, so two runs (a redelivered message, a re-kick by the
 *    poller) never deliver the same results at once;
 * 2. archives the provider's raw result files in the blob store (providers keep them about
 *    30 days) before anything is delivered; a file the provider no longer keeps is recorded
 *    gone, and the members it answered are left to step 5 with that verdict;
 * 3. loads the batch's members once (its parts' sidecars, with the few exception items over
 *    them), streams the results line by line from the last checkpoint and, per chunk:
 *    records members to send again and results a destination did not take as exception
 *    items, delivers the rest to their callers' destinations in groups, and moves the
 *    checkpoint with the chunk's counts and costs, a write that goes on while the next chunks
 *    are read and delivered. No write per result: a crash before a checkpoint lands delivers
 *    the chunks since the last one again, under the same names, and counts them once;
 *    the exceptions it recorded are read back by the rerun, which delivers owed results
 *    again (reading the results before its checkpoint) and records those on their items;
 * 4. sends `expired`, `canceled` and retryable `errored` members to a new batch, while they
 *    have attempts left and their deadline has not passed;
 * 5. delivers members the provider returned nothing for, so every member ends with exactly
 *    one outcome; then publishes `Batch Ended` and `Batch Delivered` and closes the batch.
 * Each stage is a function of `completion/`; what a run knows passes between them as values.
 */
const createCompletion = (deps: RuntimeDeps, options: CompletionOptions = {}) => {
  const chunkSize = options.chunkSize ?? 500;
  return async (batchId: string, runOptions: RunOptions = {}): Promise<CompletionReport> => {
    const parkRetryable =
      runOptions.parkUndeliverable ?? (runOptions.attempt ?? 1) >= PARK_FROM_ATTEMPT;
    const ended = await batchToComplete(deps, batchId);
    if ('report' in ended) return ended.report;
    // Read while the lease is taken: the table is only read, and the run it is loaded for
    // owns the batch before using it (a run that gets no lease drops it).
    const members = loadMemberTable(deps, batchId);
    members.catch(() => undefined);
    const leased = await leaseBatch(deps, ended.batch);
    if ('report' in leased) return leased.report;
    try {
      return await completeLeased(deps, leased.batch, leased.lease, members, {
        chunkSize,
        parkRetryable,
        timeLeftMs: runOptions.timeLeftMs ?? (() => Number.POSITIVE_INFINITY),
      });
    } catch (error) {
      // A file the batch needs is gone: no retry can route its results (see the use case).
      const missing = missingArtifactOf(error);
      if (missing !== null) {
        await haltOnMissingArtifact(deps, batchId, missing, error);
        return reportOf(batchId, 'artifacts-missing');
      }
      // Hand the batch back at once, so the retried message does not wait for the lease.
      await releaseLease(deps, batchId);
      throw error;
    }
  };
};

export { type CompletionReport, createCompletion };
