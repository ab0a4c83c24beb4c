import { METRIC } from '../contract/metrics.js';
import { BUILT_IN_REGISTRY } from '../contract/providerRegistry.js';
import type { ProviderName } from '../contract/providers.js';
import type { BatchItem, BatchRecord } from '../domain/records.js';
import type { BatchMembers } from '../ports/BatchMembers.js';
import type { BatchRecords } from '../ports/BatchRecords.js';
import type { EscalationDeps } from './escalateLateMembers.js';
import { escalateInHoldEpisode } from './escalateLateMembers.js';
import type { RuntimeDeps } from './RuntimeDeps.js';

/** What telling how long a batch below its minimum may wait uses: its members' deadlines. */
type BelowMinimumWaitDeps = Pick<RuntimeDeps, 'settings'> & { readonly store: BatchMembers };

/** What serving a batch below its minimum uses: escalation of its members, and its record. */
type BelowMinimumDeps = EscalationDeps &
  BelowMinimumWaitDeps &
  Pick<RuntimeDeps, 'clock' | 'completion' | 'logger' | 'metrics' | 'realtime'> & {
    readonly store: BatchRecords;
  };

const isoAfter = (now: Date, ms: number): string => new Date(now.getTime() + ms).toISOString();

/** Each member's realtime job waits this long, so the member's escalation mark is in first. */
const ESCALATION_DELAY_SECONDS = 2;

/** How long a group below the minimum waits to fill when no deadline says sooner. */
const DEFAULT_BELOW_MINIMUM_WAIT_MS = 24 * 3600 * 1000;

/** The fewest requests a batch of this provider may hold, or null where there is no minimum. */
const minRequestsOf = (
  deps: Pick<RuntimeDeps, 'settings'>,
  provider: ProviderName,
): number | null =>
  deps.settings.minRequestsPerBatch?.[provider] ??
  (deps.settings.registry ?? BUILT_IN_REGISTRY).limitsOf(provider).minRequests ??
  null;

/** The earliest deadline among a batch's members, as epoch ms, or Infinity. */
const earliestDeadlineOf = async (deps: BelowMinimumWaitDeps, batchId: string): Promise<number> => {
  let earliest = Number.POSITIVE_INFINITY;
  for await (const page of deps.store.listItems(batchId)) {
    for (const item of page) {
      const deadline = item.deadline === null ? Number.NaN : Date.parse(item.deadline);
      if (!Number.isNaN(deadline)) earliest = Math.min(earliest, deadline);
    }
  }
  return earliest;
};

/**
 * Whether a `filling` batch whose filling time is up must wait on: a batch below its
 * provider's minimum waits for more requests until its longest wait
 * (`belowMinimumWaitMs` after it was made) or until its most urgent member's deadline, less
 * the escalation lead, can wait no longer; it is then sealed and served by the realtime lane.
 * Returns when to look at it again, or null to seal it now. Members are listed only for a
 * batch below the minimum, which is small by definition.
 */
const belowMinimumWaitUntil = async (
  deps: BelowMinimumWaitDeps,
  batch: BatchRecord,
  now: Date,
): Promise<string | null> => {
  const minimum = minRequestsOf(deps, batch.provider);
  if (minimum === null || batch.requestCount >= minimum) return null;
  const { settings } = deps;
  const waitMs = settings.belowMinimumWaitMs ?? DEFAULT_BELOW_MINIMUM_WAIT_MS;
  const dueAt = Math.min(
    Date.parse(batch.createdAt) + waitMs,
    (await earliestDeadlineOf(deps, batch.batchId)) - settings.escalateBeforeDeadlineMs,
  );
  if (dueAt <= now.getTime()) return null;
  // Looked at again as it fills, so a batch that reaches the minimum is sealed in time.
  const recheckMs = Math.max(settings.batchMaxAgeMs, settings.pollIntervalSeconds * 1000);
  return new Date(Math.min(dueAt, now.getTime() + recheckMs)).toISOString();
};

/**
 * Serves a sealed batch that holds fewer requests than its provider accepts in one batch:
 * every member goes to the realtime lane (each marked escalated, so the batch never answers
 * it too), and the batch ends without a provider batch. Members that could not be handed over
 * this time stay `open` with the batch, which the poller hands back for another try. Without
 * a realtime lane, the batch ends refused and completion delivers each member `errored`.
 */
const serveBelowMinimum = async (
  deps: BelowMinimumDeps,
  batch: BatchRecord,
  minimum: number,
): Promise<BatchRecord> => {
  const { store, clock, logger, metrics } = deps;
  const now = clock.now();
  const why = `${batch.requestCount} requests for ${batch.models.join(', ') || 'its model'}, below the ${batch.provider} minimum of ${minimum} per batch`;
  if (deps.realtime === null) {
    const refused = await store.updateBatch(batch.batchId, batch.version, {
      state: 'ended',
      providerStatus: 'below_minimum',
      endedAt: now.toISOString(),
      lastError: `${why}; this deployment has no realtime lane to serve them`,
      nextPollAt: isoAfter(now, deps.settings.leaseMs),
    });
    await deps.completion.notifyEnded(batch.batchId);
    return refused;
  }
  const pending = new Map<string, BatchItem>();
  for await (const page of store.listItems(batch.batchId)) {
    for (const item of page) {
      if (item.deliveredAt === null && item.escalatedAt === null) {
        pending.set(item.providerCustomId, item);
      }
    }
  }
  // A hold is reported once per episode, not on every try that holds the members again.
  const { escalated, failed, escalationHeldAt } = await escalateInHoldEpisode(
    deps,
    batch,
    now,
    pending,
    {
      lane: 'realtime',
      delaySeconds: ESCALATION_DELAY_SECONDS,
      reasonOf: (item) =>
        `${item.lane.requested}: ${why}; served by standard realtime before ${item.deadline === null ? 'waiting longer' : 'its deadline'}`,
    },
  );
  metrics.count(METRIC.BatchesBelowMinimum, 1, { provider: batch.provider });
  if (failed.length > 0) {
    logger.warn('members of a batch below the minimum not yet handed to the realtime lane', {
      batchId: batch.batchId,
      escalated,
      failed: failed.length,
    });
    return store.updateBatch(batch.batchId, batch.version, {
      lastError: `${failed.length} members not yet handed to the realtime lane`,
      nextPollAt: isoAfter(now, deps.settings.pollIntervalSeconds * 1000),
      escalationHeldAt,
    });
  }
  logger.info('batch below the provider minimum served by the realtime lane', {
    batchId: batch.batchId,
    members: escalated,
    minimum,
  });
  // Completion closes the batch once the realtime lane has delivered its members: the
  // poller hands it over shortly, rather than completion now, which would find them pending.
  return store.updateBatch(batch.batchId, batch.version, {
    state: 'ended',
    providerStatus: 'below_minimum',
    endedAt: clock.now().toISOString(),
    lastError: null,
    escalationHeldAt: null,
    nextPollAt: isoAfter(
      clock.now(),
      (ESCALATION_DELAY_SECONDS + 2 * deps.settings.pollIntervalSeconds) * 1000,
    ),
  });
};

export {
  type BelowMinimumDeps,
  type BelowMinimumWaitDeps,
  belowMinimumWaitUntil,
  minRequestsOf,
  serveBelowMinimum,
};
