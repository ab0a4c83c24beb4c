import { METRIC } from '../contract/metrics.js';
import { ConflictError, errorMessage, NotFoundError, ThrottledError } from '../domain/errors.js';
import { mapWithConcurrency } from '../domain/mapWithConcurrency.js';
import { nextPollDelayMs } from '../domain/nextPollDelay.js';
import type { BatchRecord } from '../domain/records.js';
import type { BatchRecords } from '../ports/BatchRecords.js';
import type { BelowMinimumDeps } from './belowMinimum.js';
import { belowMinimumWaitUntil } from './belowMinimum.js';
import type { EscalationDeps } from './escalateLateMembers.js';
import { escalateLateMembers } from './escalateLateMembers.js';
import {
  createStuckBatchWatch,
  type StuckBatchDeps,
  type StuckBatchWatch,
} from './handleStuckBatches.js';
import type { RuntimeDeps } from './RuntimeDeps.js';
import type { SealingDeps } from './sealBatch.js';
import { handOffSealing } from './sealBatch.js';
import { isoAfter } from './submitBatch.js';

/**
 * What the poller uses: the due batches it advances, the providers it asks, and what
 * sealing, escalation, the stuck-batch watch and a batch below its minimum use.
 */
type PollerDeps = BelowMinimumDeps &
  EscalationDeps &
  StuckBatchDeps &
  SealingDeps &
  Pick<RuntimeDeps, 'clock' | 'completion' | 'logger' | 'metrics' | 'providers' | 'settings'> & {
    readonly store: BatchRecords;
  };

/**
 * How long after submission a provider's 404 counts as propagation delay rather than a lost
 * batch (Anthropic has been seen to answer 404 briefly right after create).
 */
const YOUNG_BATCH_404_MS = 10 * 60 * 1000;
/** How long past the provider's own expiry a batch may run before it counts as stuck. */
const STUCK_GRACE_MS = 60 * 60 * 1000;

interface PollerReport {
  readonly examined: number;
  readonly submitted: number;
  readonly ended: number;
  readonly stillRunning: number;
  readonly errors: number;
}

/**
 * The poller: advances every batch that is due. It resumes submissions that a crashed
 * collector left behind, asks providers about running batches (backing off as they age and
 * when throttled), and hands ended batches to completion. Safe to run twice at once: every
 * write is conditional on the version it read, and a lost race just skips that batch.
 */
const createPoller = (
  deps: PollerDeps,
  options: {
    readonly maxBatchesPerRun?: number;
    /** Watches running batches for being stuck (default: the stuck-batch use case). */
    readonly watchStuck?: StuckBatchWatch;
  } = {},
) => {
  const { store, clock, logger, metrics, settings } = deps;
  const baseIntervalMs = settings.pollIntervalSeconds * 1000;
  const watchStuck = options.watchStuck ?? createStuckBatchWatch(deps);

  const poll = async (batch: BatchRecord): Promise<'submitted' | 'ended' | 'running'> => {
    const now = clock.now();
    if (batch.state === 'filling') {
      // Below its provider's minimum, a batch waits on while its members can.
      const waitUntil = await belowMinimumWaitUntil(deps, batch, now);
      if (waitUntil !== null) {
        await store.updateBatch(batch.batchId, batch.version, { nextPollAt: waitUntil });
        return 'running';
      }
      // Filling time is up: seal it; the completion function assembles and submits it.
      return (await handOffSealing(deps, batch.batchId, 'age')) ? 'submitted' : 'running';
    }
    if (batch.state === 'sealing' || batch.state === 'open' || batch.state === 'submitting') {
      // A sealing or submission that failed or was cut off: the completion function, whose
      // timeout suits uploading up to 256 MB, takes it up again. The write first, so one
      // poller run asks, and the batch is due again after the lease should that run die too.
      logger.info('resuming an interrupted submission', {
        batchId: batch.batchId,
        state: batch.state,
      });
      await store.updateBatch(batch.batchId, batch.version, {
        nextPollAt: isoAfter(now, deps.settings.leaseMs),
      });
      await deps.completion.notifyEnded(batch.batchId);
      return 'submitted';
    }
    if (batch.state === 'ended') {
      // A completion run owns the batch: leave it alone (writing would break its next
      // versioned write); it is due again when the lease runs out.
      if (
        batch.completionLeaseUntil !== null &&
        Date.parse(batch.completionLeaseUntil) > now.getTime()
      ) {
        return 'ended';
      }
      // Completion was told before; telling it again is harmless (it skips delivered items).
      // The write comes first: a completion run picking the message up at once must read the
      // batch as it will stay, or its lease write would lose to this one.
      await store.updateBatch(batch.batchId, batch.version, {
        nextPollAt: isoAfter(now, deps.settings.leaseMs),
      });
      await deps.completion.notifyEnded(batch.batchId);
      return 'ended';
    }
    const provider = deps.providers[batch.provider];
    if (provider === undefined || batch.providerBatchId === null) {
      throw new ConflictError(`batch ${batch.batchId} is submitted but cannot be polled`, {
        code: 'unpollable_batch',
      });
    }
    const ageMs = now.getTime() - Date.parse(batch.submittedAt ?? batch.createdAt);
    let snapshot: Awaited<ReturnType<typeof provider.retrieve>>;
    try {
      snapshot = await provider.retrieve(batch.providerBatchId);
    } catch (error) {
      if (error instanceof NotFoundError && ageMs < YOUNG_BATCH_404_MS) {
        await store.updateBatch(batch.batchId, batch.version, {
          lastError: errorMessage(error),
          nextPollAt: isoAfter(now, nextPollDelayMs({ ageMs, baseIntervalMs })),
        });
        return 'running';
      }
      if (error instanceof ThrottledError) {
        await store.updateBatch(batch.batchId, batch.version, {
          lastError: errorMessage(error),
          nextPollAt: isoAfter(
            now,
            nextPollDelayMs({ ageMs, baseIntervalMs, retryAfterMs: error.retryAfterMs }),
          ),
        });
        return 'running';
      }
      throw error;
    }
    if (snapshot.phase === 'ended') {
      const ended = await store.updateBatch(batch.batchId, batch.version, {
        state: 'ended',
        providerStatus: snapshot.providerStatus,
        endedAt: snapshot.endedAt ?? now.toISOString(),
        lastError:
          snapshot.failure === null
            ? null
            : `${snapshot.failure.code}: ${snapshot.failure.message}`,
        nextPollAt: isoAfter(now, deps.settings.leaseMs),
        pollCount: batch.pollCount + 1,
      });
      await deps.completion.notifyEnded(ended.batchId);
      metrics.count(METRIC.BatchesEnded, 1, { provider: batch.provider });
      logger.info('batch ended at the provider', {
        batchId: batch.batchId,
        providerStatus: snapshot.providerStatus,
      });
      return 'ended';
    }
    const expiresAt = snapshot.expiresAt ?? batch.providerExpiresAt;
    // A provider whose batches may run past their expiry (a profile's `runsPastHours`) is
    // given that long too before its batch counts as stuck.
    const grace = STUCK_GRACE_MS + (deps.settings.runsPastExpiryMs?.[batch.provider] ?? 0);
    if (expiresAt !== null && now.getTime() > Date.parse(expiresAt) + grace) {
      metrics.count(METRIC.BatchesStuckPastExpiry, 1, { provider: batch.provider });
      logger.error('batch is still running long past its provider expiry', {
        batchId: batch.batchId,
        providerBatchId: batch.providerBatchId,
        expiresAt,
      });
    }
    const { escalateAt, escalationHeldAt } =
      batch.escalateAt !== null &&
      batch.escalateAt !== undefined &&
      Date.parse(batch.escalateAt) <= now.getTime()
        ? await escalateLateMembers(deps, batch, now)
        : {
            escalateAt: batch.escalateAt ?? null,
            escalationHeldAt: batch.escalationHeldAt ?? null,
          };
    // The stuck watch sees the hold episode the late members just left: one rule, one report.
    const stuck = await watchStuck({ ...batch, escalationHeldAt }, snapshot, now);
    const pushExpected = deps.settings.pushedProviders?.includes(batch.provider) ?? false;
    const nextPollAt = stuck.pollSoon
      ? isoAfter(now, baseIntervalMs)
      : isoAfter(now, nextPollDelayMs({ ageMs, baseIntervalMs, pushExpected }));
    await store.updateBatch(batch.batchId, batch.version, {
      providerStatus: snapshot.providerStatus,
      providerExpiresAt: expiresAt,
      pollCount: batch.pollCount + 1,
      lastError: null,
      ...stuck.patch,
      escalateAt,
      escalationHeldAt:
        stuck.escalationHeldAt === undefined ? escalationHeldAt : stuck.escalationHeldAt,
      // Back in time for the next member that may need escalating.
      nextPollAt: escalateAt !== null && escalateAt < nextPollAt ? escalateAt : nextPollAt,
    });
    return 'running';
  };

  return async (): Promise<PollerReport> => {
    const due = await store.listDueBatches(
      clock.now().toISOString(),
      options.maxBatchesPerRun ?? 100,
    );
    const outcomes = await mapWithConcurrency(due, 8, poll);
    const report = { examined: due.length, submitted: 0, ended: 0, stillRunning: 0, errors: 0 };
    const failures: unknown[] = [];
    outcomes.forEach((outcome, index) => {
      if (outcome.status === 'fulfilled') {
        if (outcome.value === 'submitted') report.submitted += 1;
        else if (outcome.value === 'ended') report.ended += 1;
        else report.stillRunning += 1;
        return;
      }
      // Another poller run got there first: that run owns the batch now.
      if (outcome.reason instanceof ConflictError && outcome.reason.code !== 'unpollable_batch')
        return;
      report.errors += 1;
      failures.push(outcome.reason);
      metrics.count(METRIC.PollerErrors, 1);
      logger.error('polling a batch failed', {
        batchId: due[index]?.batchId,
        error: errorMessage(outcome.reason),
      });
    });
    if (failures.length > 0) {
      // Every due batch was tried; failing the run makes the errors visible to alarms, and the
      // failed batches are due again on the next run.
      throw new AggregateError(
        failures,
        `${failures.length} of ${due.length} batches could not be advanced`,
      );
    }
    return report;
  };
};

export { createPoller, type PollerDeps, type PollerReport };
