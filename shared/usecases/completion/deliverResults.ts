import { METRIC } from '../../contract/metrics.js';
import { NotFoundError } from '../../domain/errors.js';
import type { BatchMembers } from '../../ports/BatchMembers.js';
import type { RuntimeSettings } from '../RuntimeDeps.js';
import type { CheckpointWriter } from './CheckpointWriter.js';
import type { CompletionRun } from './CompletionRun.js';
import {
  classifyChunk,
  classifyUnanswered,
  type OutcomeEntry,
  type RetryPolicy,
  retryAllowed,
  settledElsewhere,
  unansweredVerdictOf,
} from './classifyResults.js';
import { type DeliverDeps, type DeliveryOutcome, deliverOutcomes } from './deliverOutcomes.js';
import { checkpointTotals } from './deliveryTotals.js';
import {
  type CheckpointedChunk,
  chunksFrom,
  owedChunksBefore,
  type ResultChunk,
} from './readResultChunks.js';
import { recordRetries, type SettleDeps, settleDeliveries } from './settleDeliveries.js';

type ResultsDeps = DeliverDeps &
  SettleDeps & {
    readonly store: Pick<BatchMembers, 'markForRetry' | 'markUndelivered' | 'recordDeliveries'>;
    readonly settings: Pick<RuntimeSettings, 'maxAttempts'>;
  };

const retryPolicyOf = (
  deps: Pick<ResultsDeps, 'clock'> & { readonly settings: Pick<RuntimeSettings, 'maxAttempts'> },
): RetryPolicy => ({
  maxAttempts: deps.settings.maxAttempts,
  nowMs: deps.clock.now().getTime(),
});

/** Delivers outcomes and records what came of them (see `settleDeliveries`). */
const deliverAndSettle = async (
  deps: ResultsDeps,
  run: CompletionRun,
  entries: readonly OutcomeEntry[],
  part: string,
): Promise<void> => {
  const outcome = await deliverOutcomes(deps, run.batch, entries, part, run.parkRetryable);
  await settleDeliveries(deps, run.batch.batchId, run.table, run.progress, outcome);
};

/**
 * Starts one chunk of results on its way: classified (now), its members to send again recorded
 * and the rest delivered (both under way when this returns). Resolves to what the delivery
 * did, once both have ended; nothing is counted until `settleDeliveries` takes it.
 */
const startChunk = (
  deps: ResultsDeps,
  run: CompletionRun,
  chunk: ResultChunk,
): Promise<DeliveryOutcome> => {
  const batchId = run.batch.batchId;
  for (const line of chunk.lines) run.progress.answered.add(line.providerCustomId);
  const classified = classifyChunk(chunk.lines, run.table, retryPolicyOf(deps));
  for (const providerCustomId of classified.unknown) {
    deps.logger.warn('result line for an unknown request', { batchId, providerCustomId });
    deps.metrics.count(METRIC.UnknownResultLines, 1);
  }
  run.progress.skipped += classified.skipped;
  // Independent of each other; both are done before the checkpoint may pass the chunk, and
  // both have ended before a failure of either hands the batch back.
  const writes = Promise.allSettled([
    recordRetries(deps, batchId, run.table, classified.toRetry),
    deliverOutcomes(deps, run.batch, classified.entries, chunk.name, run.parkRetryable),
  ]);
  return writes.then(([retried, delivered]) => {
    if (retried.status === 'rejected') throw retried.reason;
    if (delivered.status === 'rejected') throw delivered.reason;
    return delivered.value;
  });
};

/**
 * One chunk of results, start to end: classified, its members to send again recorded, the
 * rest delivered, and results a destination did not take recorded, all before the checkpoint
 * may pass it.
 */
const deliverChunk = async (
  deps: ResultsDeps,
  run: CompletionRun,
  chunk: ResultChunk,
): Promise<void> => {
  const outcome = await startChunk(deps, run, chunk);
  await settleDeliveries(deps, run.batch.batchId, run.table, run.progress, outcome);
};

/** A chunk after the checkpoint on its way, and what its delivery came to. */
interface ChunkUnderWay {
  readonly chunk: CheckpointedChunk;
  readonly delivery: Promise<DeliveryOutcome | null>;
}

/** Where a run stopped delivering: at the end of the results, or at a chunk out of time. */
type ResultsReached =
  | { readonly paused: false }
  | { readonly paused: true; readonly at: CheckpointedChunk };

/**
 * Reads one item ahead of its consumer: the next chunk is read and parsed while this one is
 * delivered. The source is closed when the consumer stops early.
 */
async function* readAhead<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  let next = iterator.next();
  try {
    for (;;) {
      const current = await next;
      if (current.done === true) return;
      next = iterator.next();
      // Awaited on the next turn, or below when the consumer stops first.
      next.catch(() => undefined);
      yield current.value;
    }
  } finally {
    const pending = await next.catch(() => ({ done: true }));
    if (pending.done !== true) await iterator.return?.(undefined);
  }
}

/**
 * Delivers the results: first those before the checkpoint still owed a delivery (and notes
 * which members the rest answered), then chunk by chunk from the checkpoint, moving it past
 * each chunk (one write per chunk, no write per result). A bounded pipeline: one chunk read
 * ahead, two on their way to their destinations, one checkpoint write in flight. Chunks are
 * settled and checkpointed in order, each once its own results are delivered or recorded as
 * exceptions, so a checkpoint never passes a result that is not. Stops early, at a checkpoint,
 * when `outOfTime` says so after a chunk that delivered something new.
 */
const deliverResults = async (
  deps: ResultsDeps & Pick<DeliverDeps, 'blobs' | 'logger' | 'metrics'>,
  run: CompletionRun,
  checkpoints: CheckpointWriter,
  outOfTime: () => boolean,
): Promise<ResultsReached> => {
  const { batch, table, progress, chunkSize } = run;
  const start = batch.checkpoint;
  for await (const chunk of owedChunksBefore(
    deps,
    batch,
    start,
    table.owed,
    progress.answered,
    chunkSize,
  )) {
    await deliverChunk(deps, run, chunk);
  }
  /** Settles a chunk whose delivery has ended, then moves the checkpoint past it. */
  const finish = async ({ chunk, delivery }: ChunkUnderWay): Promise<void> => {
    const outcome = await delivery;
    if (outcome !== null) {
      await settleDeliveries(deps, batch.batchId, table, progress, outcome);
    }
    // Written while the next chunks are read and delivered.
    await checkpoints.move({
      fileIndex: chunk.fileIndex,
      offset: chunk.end,
      ...checkpointTotals(progress.totals),
    });
  };
  let previous: ChunkUnderWay | null = null;
  try {
    for await (const chunk of readAhead(chunksFrom(deps, batch, start, chunkSize))) {
      const current: ChunkUnderWay = {
        chunk,
        delivery: chunk.lines.length > 0 ? startChunk(deps, run, chunk) : Promise.resolve(null),
      };
      // Awaited in turn below; a failure meanwhile is not unhandled.
      current.delivery.catch(() => undefined);
      const settling = previous;
      previous = current;
      if (settling === null) continue;
      await finish(settling);
      // Only after delivering something new, so that every run moves the batch forward.
      if (settling.chunk.full && progress.delivered > 0 && outOfTime()) {
        previous = null;
        await finish(current);
        return { paused: true, at: current.chunk };
      }
    }
    if (previous !== null) {
      const last = previous;
      previous = null;
      await finish(last);
    }
  } catch (error) {
    // Nothing of this run still goes out once it hands the batch back.
    await previous?.delivery.catch(() => undefined);
    throw error;
  }
  return { paused: false };
};

/**
 * Fails, as a missing file of the batch (which halts it), when the input file members are sent
 * again from is gone.
 */
const requireInput = async (
  deps: Pick<DeliverDeps, 'blobs'>,
  batch: CompletionRun['batch'],
): Promise<void> => {
  if (await deps.blobs.exists(batch.inputKey)) return;
  throw new NotFoundError(`the input file ${deps.blobs.uri(batch.inputKey)} is gone`, {
    code: 'not_found',
    details: { key: batch.inputKey },
  });
};

/**
 * When members are to be sent again, their input file must be there: checked before the sweep
 * delivers anyone, so that the batch is halted whole rather than with part of its verdicts
 * delivered.
 */
const requireInputForRetries = async (
  deps: Pick<DeliverDeps, 'blobs'>,
  run: CompletionRun,
): Promise<void> => {
  if (run.table.retries.size > 0) await requireInput(deps, run.batch);
};

/**
 * A batch whose provider no longer kept some of its results sends members again (those the
 * gone files answered, while attempts and deadlines allow): when any member without an
 * outcome yet may be, its input file must be there before anything is delivered, archived
 * results included, so that a missing input halts the batch whole.
 */
const requireInputWhenResultsGone = async (
  deps: Pick<DeliverDeps, 'blobs' | 'clock'> & {
    readonly settings: Pick<RuntimeSettings, 'maxAttempts'>;
  },
  run: CompletionRun,
): Promise<void> => {
  const { batch, table } = run;
  if (batch.resultsGone === undefined || batch.resultsGone.length === 0) return;
  const verdict = unansweredVerdictOf(batch);
  const policy = retryPolicyOf(deps);
  for (const item of table.members.values()) {
    if (settledElsewhere(table, item) || !retryAllowed(policy, item, verdict)) continue;
    await requireInput(deps, batch);
    return;
  }
};

/**
 * Members the results did not cover get their verdict now: sent again while the policy allows,
 * else delivered with it in chunks. Not checkpointed: every run that gets here gives the same
 * verdicts to the same members, under the same names.
 */
const deliverUnanswered = async (deps: ResultsDeps, run: CompletionRun): Promise<void> => {
  const { table, progress, chunkSize } = run;
  const verdict = unansweredVerdictOf(run.batch);
  const { missing, toRetry } = classifyUnanswered(
    table,
    progress.answered,
    verdict,
    retryPolicyOf(deps),
  );
  for (const item of toRetry) table.retries.set(item.providerCustomId, item);
  await requireInputForRetries(deps, run);
  for (let from = 0, sweep = 0; from < missing.length; from += chunkSize, sweep += 1) {
    await deliverAndSettle(deps, run, missing.slice(from, from + chunkSize), `missing-${sweep}`);
  }
};

export {
  deliverChunk,
  deliverResults,
  deliverUnanswered,
  type ResultsDeps,
  type ResultsReached,
  requireInputWhenResultsGone,
};
