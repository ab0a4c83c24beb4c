import { ConflictError, errorMessage } from '../../domain/errors.js';
import type { BatchRecord } from '../../domain/records.js';
import type { BatchPatch, BatchRecords } from '../../ports/BatchRecords.js';
import type { RuntimeDeps, RuntimeSettings } from '../RuntimeDeps.js';
import { finishSealing } from '../sealBatch.js';
import { isoAfter, submitBatch } from '../submitBatch.js';
import { type CompletionReport, reportOf } from './CompletionReport.js';

type LeaseDeps = Pick<RuntimeDeps, 'clock' | 'logger'> & {
  readonly store: Pick<BatchRecords, 'getBatch' | 'updateBatch'>;
  readonly settings: Pick<RuntimeSettings, 'leaseMs'>;
};

/** A completion run's hold on a batch: until when no other run takes it. */
interface CompletionLease {
  readonly batchId: string;
  readonly until: string;
}

/**
 * A `submitted` batch may be named by a notification that overtook the poller's write:
 * ask the provider, and record the end here if it has ended.
 */
const confirmEnded = async (deps: RuntimeDeps, batch: BatchRecord): Promise<BatchRecord | null> => {
  const provider = deps.providers[batch.provider];
  if (batch.state !== 'submitted' || batch.providerBatchId === null || provider === undefined) {
    return null;
  }
  const snapshot = await provider.retrieve(batch.providerBatchId);
  if (snapshot.phase !== 'ended') return null;
  return deps.store.updateBatch(batch.batchId, batch.version, {
    state: 'ended',
    providerStatus: snapshot.providerStatus,
    endedAt: snapshot.endedAt ?? deps.clock.now().toISOString(),
    lastError:
      snapshot.failure === null ? null : `${snapshot.failure.code}: ${snapshot.failure.message}`,
  });
};

/**
 * Reads the batch a completion message names and does what its state asks: a sealed batch is
 * assembled and submitted, one whose submission failed is submitted again, a submitted one
 * is checked with its provider. Returns the batch when it has ended (completion's work),
 * else the report of what was done.
 */
const batchToComplete = async (
  deps: RuntimeDeps,
  batchId: string,
): Promise<{ readonly batch: BatchRecord } | { readonly report: CompletionReport }> => {
  const { store, logger } = deps;
  let batch = await store.getBatch(batchId);
  if (batch === null) {
    logger.error('completion asked for an unknown batch', { batchId });
    return { report: reportOf(batchId, 'unknown-batch') };
  }
  if (batch.state === 'completed')
    return { report: reportOf(batchId, 'already-completed', batch.counts) };
  if (batch.state === 'sealing') {
    await finishSealing(deps, batch);
    return { report: reportOf(batchId, 'submitted') };
  }
  if (batch.state === 'open' || batch.state === 'submitting') {
    // Handed over by the poller: a submission that failed for now or was cut off.
    await submitBatch(deps, batch).catch((error: unknown) => {
      logger.warn('submission failed again; the poller will hand it back', {
        batchId,
        error: errorMessage(error),
      });
    });
    return { report: reportOf(batchId, 'submitted') };
  }
  if (batch.state === 'submitted') batch = (await confirmEnded(deps, batch)) ?? batch;
  if (batch.state !== 'ended') {
    logger.info('completion asked for a batch that has not ended', { batchId, state: batch.state });
    return { report: reportOf(batchId, 'not-ended') };
  }
  return { batch };
};

const leasedUntilAfter = (batch: BatchRecord, at: Date): boolean =>
  batch.completionLeaseUntil !== null && Date.parse(batch.completionLeaseUntil) > at.getTime();

/**
 * Takes the completion lease on an ended batch, so two runs (a redelivered message, a re-kick
 * by the poller) never deliver the same results at once. Returns the leased batch, or the
 * report of a run that leaves it to the run holding it.
 */
const leaseBatch = async (
  deps: LeaseDeps,
  batch: BatchRecord,
): Promise<
  | { readonly batch: BatchRecord; readonly lease: CompletionLease }
  | { readonly report: CompletionReport }
> => {
  const { store, clock, logger, settings } = deps;
  const batchId = batch.batchId;
  const leaseStart = clock.now();
  if (leasedUntilAfter(batch, leaseStart)) {
    logger.info('another completion run owns this batch', {
      batchId,
      until: batch.completionLeaseUntil,
    });
    return { report: reportOf(batchId, 'owned-by-another-run') };
  }
  const until = isoAfter(leaseStart, settings.leaseMs);
  const lease = { batchId, until };
  // The poller's next look is pushed to the lease's end, so it does not write the batch
  // (and bump its version) while this run owns it.
  const patch = { completionLeaseUntil: until, nextPollAt: until };
  try {
    return { batch: await store.updateBatch(batchId, batch.version, patch), lease };
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
  }
  // Someone wrote the batch since it was read: the poller (try again on the fresh record) or
  // another completion run (its lease stands).
  const fresh = await store.getBatch(batchId);
  if (fresh === null || fresh.state !== 'ended' || leasedUntilAfter(fresh, leaseStart)) {
    return {
      report: reportOf(
        batchId,
        fresh?.state === 'completed' ? 'already-completed' : 'owned-by-another-run',
      ),
    };
  }
  try {
    return { batch: await store.updateBatch(batchId, fresh.version, patch), lease };
  } catch (retryError) {
    if (retryError instanceof ConflictError)
      return { report: reportOf(batchId, 'owned-by-another-run') };
    throw retryError;
  }
};

/**
 * A versioned write of a run that holds the lease. Should another writer have bumped the
 * version meanwhile (an older poller still running), the write is applied again on the fresh
 * record as long as the lease still holds; otherwise the conflict stands.
 */
const writeOwned = async (
  deps: { readonly store: Pick<BatchRecords, 'getBatch' | 'updateBatch'> },
  lease: CompletionLease,
  current: BatchRecord,
  patch: BatchPatch,
): Promise<BatchRecord> => {
  const { store } = deps;
  try {
    return await store.updateBatch(lease.batchId, current.version, patch);
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    const fresh = await store.getBatch(lease.batchId);
    if (fresh === null || fresh.state !== 'ended' || fresh.completionLeaseUntil !== lease.until)
      throw error;
    return store.updateBatch(lease.batchId, fresh.version, patch);
  }
};

/** Hands the batch back after a failed run, so the retried message does not wait for the lease. */
const releaseLease = async (
  deps: { readonly store: Pick<BatchRecords, 'getBatch' | 'updateBatch'> },
  batchId: string,
): Promise<void> => {
  const current = await deps.store.getBatch(batchId).catch(() => null);
  if (current !== null && current.state !== 'completed') {
    await deps.store
      .updateBatch(batchId, current.version, { completionLeaseUntil: null })
      .catch(() => undefined);
  }
};

export {
  batchToComplete,
  type CompletionLease,
  type LeaseDeps,
  leaseBatch,
  releaseLease,
  writeOwned,
};
