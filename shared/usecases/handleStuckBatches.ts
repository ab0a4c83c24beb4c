import { DETAIL_TYPES } from '../contract/events.js';
import { METRIC } from '../contract/metrics.js';
import { FLEX_ENDPOINTS } from '../contract/request.js';
import { errorMessage } from '../domain/errors.js';
import type { BatchItem, BatchRecord } from '../domain/records.js';
import {
  DEFAULT_STUCK_SETTINGS,
  isStartedStatus,
  policyOf,
  type StuckPolicy,
  type StuckVerdict,
  stuckVerdictOf,
} from '../domain/stuckBatch.js';
import { type TurnaroundStats, turnaroundModelOf } from '../domain/turnaround.js';
import type { BatchMembers } from '../ports/BatchMembers.js';
import type { ProviderBatchSnapshot } from '../ports/BatchProvider.js';
import type { BatchPatch } from '../ports/StateStore.js';
import type { EscalationDeps } from './escalateLateMembers.js';
import { escalateInHoldEpisode } from './escalateLateMembers.js';
import type { RuntimeDeps } from './RuntimeDeps.js';

/**
 * What the stuck-batch watch needs: the runtime, of whose state store it reads only a batch's
 * members and writes only their escalation marks (through the escalation path); the poller
 * writes the batch itself, with the marks returned here.
 */
type StuckBatchDeps = EscalationDeps &
  Pick<
    RuntimeDeps,
    | 'events'
    | 'logger'
    | 'metrics'
    | 'providers'
    | 'realtime'
    | 'realtimeProviders'
    | 'settings'
    | 'turnarounds'
  > & { readonly store: BatchMembers };

/** The progress marks to write with the poll, and whether the batch should be polled soon. */
interface StuckWatch {
  readonly patch: Pick<BatchPatch, 'inProgressAt' | 'progressAt' | 'stuckAt'>;
  /** A cancel was asked for: the batch ends shortly, and its members should not wait. */
  readonly pollSoon: boolean;
  /**
   * The escalation hold episode to write on the batch, when the `escalate` policy tried to
   * escalate members (see `escalateInHoldEpisode`); absent when it did not.
   */
  readonly escalationHeldAt?: string | null;
}

/** What the policy did: a cancel asked for, members escalated, the hold episode it left. */
interface StuckAction {
  readonly cancelled: boolean;
  readonly escalated: number;
  readonly escalationHeldAt?: string | null;
}

/** How long a provider and model's distribution is reused before it is read again. */
const STATS_TTL_MS = 5 * 60 * 1000;

/**
 * A cancel that has been asked for is not progress: the stuck episode goes on through it
 * (`canceling`, `cancelling`, `CANCELLATION_REQUESTED`, Bedrock's `Stopping`).
 */
const isCancellingStatus = (status: string | null): boolean =>
  status !== null && /cancel|^stopping$/i.test(status);

/**
 * Watches a running batch for being stuck, on every poll, and applies the provider's policy
 * once per stuck episode:
 * - records when the provider first reported it running and when it last reported a new
 *   status (its progress), for the turnaround record and the rule;
 * - judges it by {@link stuckVerdictOf} against the provider and model's p99 turnaround
 *   (read from the TurnaroundLog, cached a few minutes per model) or the configured floor;
 * - when stuck and not already raised: publishes `Batch Stuck`, counts `BatchesStuck`, and
 *   `leave`s it, cancels it at the provider (`cancel_resubmit`: completion then delivers what
 *   the cancelled batch returns and sends its unfinished members again in a retry batch), or
 *   hands its members with deadlines to the realtime lane (`escalate`).
 * No provider batch API can resume or continue a stalled job, so resubmission is batchlane's.
 * The event goes out before the action; a failed action throws, leaving the episode
 * unmarked, so the next poll raises it (and publishes) again.
 */
const createStuckBatchWatch = (deps: StuckBatchDeps) => {
  const settings = deps.settings.stuckBatches ?? DEFAULT_STUCK_SETTINGS;
  const statsCache = new Map<string, { readAt: number; stats: TurnaroundStats | null }>();

  const statsOf = async (batch: BatchRecord, now: Date): Promise<TurnaroundStats | null> => {
    if (deps.turnarounds === undefined) return null;
    const model = turnaroundModelOf(batch.models);
    const key = `${batch.provider}#${model}`;
    const cached = statsCache.get(key);
    if (cached !== undefined && now.getTime() - cached.readAt < STATS_TTL_MS) return cached.stats;
    try {
      const stats = await deps.turnarounds.turnaroundOf(batch.provider, model);
      statsCache.set(key, { readAt: now.getTime(), stats });
      return stats;
    } catch (error) {
      // Without history the floor applies; the next poll reads again.
      deps.logger.warn('turnaround history not read; the stuck floor applies', {
        batchId: batch.batchId,
        error: errorMessage(error),
      });
      return null;
    }
  };

  /** Members still waiting on the batch that have a deadline: the ones worth escalating. */
  const membersWithDeadlines = async (batch: BatchRecord): Promise<Map<string, BatchItem>> => {
    const members = new Map<string, BatchItem>();
    for await (const page of deps.store.listItems(batch.batchId)) {
      for (const item of page) {
        if (item.deadline === null || item.deliveredAt !== null || item.escalatedAt !== null)
          continue;
        members.set(item.providerCustomId, item);
      }
    }
    return members;
  };

  /**
   * Escalates the members with deadlines within the batch's hold episode, so a hold met here
   * is reported once, and not again by the late-member path on the next polls.
   */
  const escalate = async (batch: BatchRecord, now: Date): Promise<StuckAction> => {
    const members = await membersWithDeadlines(batch);
    if (members.size === 0 || deps.realtime === null) return { cancelled: false, escalated: 0 };
    const flex =
      deps.realtimeProviders[batch.provider]?.supportsFlex === true &&
      FLEX_ENDPOINTS.includes(batch.endpoint);
    const { escalated, failed, escalationHeldAt } = await escalateInHoldEpisode(
      deps,
      batch,
      now,
      members,
      {
        lane: flex ? 'flex' : 'realtime',
        reasonOf: () =>
          `batch ${batch.batchId} is stuck at ${batch.provider}; escalated to ${flex ? 'flex' : 'standard realtime'}`,
      },
    );
    if (failed.length > 0) {
      // They stay with the batch, which auto escalation still watches near their deadlines.
      deps.logger.warn('some members of a stuck batch stay with it', {
        batchId: batch.batchId,
        failed: failed.length,
      });
    }
    return { cancelled: false, escalated, escalationHeldAt };
  };

  /** Applies the policy; returns what was done. Throws when the action failed. */
  const act = async (batch: BatchRecord, policy: StuckPolicy, now: Date): Promise<StuckAction> => {
    if (policy === 'cancel_resubmit') {
      const provider = deps.providers[batch.provider];
      if (provider === undefined || batch.providerBatchId === null) {
        return { cancelled: false, escalated: 0 };
      }
      await provider.cancel(batch.providerBatchId);
      return { cancelled: true, escalated: 0 };
    }
    if (policy === 'escalate') return escalate(batch, now);
    return { cancelled: false, escalated: 0 };
  };

  const raise = async (
    batch: BatchRecord,
    snapshot: ProviderBatchSnapshot,
    verdict: StuckVerdict,
    now: Date,
  ): Promise<StuckAction> => {
    const policy = policyOf(settings, batch.provider);
    const stuckAt = now.toISOString();
    // The event goes first: should this run die after acting, the batch may have ended before
    // the next poll, and the episode would never be told. A failed action raises it again.
    await deps.events.publish([
      {
        detailType: DETAIL_TYPES.batchStuck,
        detail: {
          batch_id: batch.batchId,
          provider: batch.provider,
          provider_batch_id: batch.providerBatchId ?? '',
          models: batch.models,
          request_count: batch.requestCount,
          provider_status: snapshot.providerStatus,
          reason: verdict.reason,
          submitted_at: batch.submittedAt ?? batch.createdAt,
          no_progress_since: verdict.sinceAt,
          limit_seconds: Math.round(verdict.limitMs / 1000),
          basis: verdict.basisBatches === null ? null : { batches: verdict.basisBatches },
          deadline: verdict.deadline,
          policy,
          action: {
            cancel:
              policy === 'cancel_resubmit' &&
              deps.providers[batch.provider] !== undefined &&
              batch.providerBatchId !== null,
            escalate: policy === 'escalate' && deps.realtime !== null,
          },
          stuck_at: stuckAt,
        },
      },
    ]);
    const action = await act(batch, policy, now);
    deps.metrics.count(METRIC.BatchesStuck, 1, { provider: batch.provider });
    deps.logger.warn('batch stuck', {
      batchId: batch.batchId,
      providerBatchId: batch.providerBatchId,
      reason: verdict.reason,
      policy,
      cancelled: action.cancelled,
      escalated: action.escalated,
    });
    return action;
  };

  return async (
    batch: BatchRecord,
    snapshot: ProviderBatchSnapshot,
    now: Date,
  ): Promise<StuckWatch> => {
    const at = now.toISOString();
    const inProgressAt =
      batch.inProgressAt ?? (isStartedStatus(snapshot.providerStatus) ? at : null);
    const progressed =
      snapshot.providerStatus !== batch.providerStatus &&
      !isCancellingStatus(snapshot.providerStatus);
    if (progressed) {
      // A new status ends a stuck episode: a later stall is a new one.
      return { patch: { inProgressAt, progressAt: at, stuckAt: null }, pollSoon: false };
    }
    const marks = { inProgressAt, progressAt: batch.progressAt ?? null };
    if (batch.stuckAt !== null && batch.stuckAt !== undefined) {
      return { patch: { ...marks, stuckAt: batch.stuckAt }, pollSoon: false };
    }
    if (isCancellingStatus(snapshot.providerStatus)) {
      // Being cancelled already: by this watch (whose event went out before the cancel, and
      // whose mark a lost write dropped) or by hand. It ends soon; nothing to raise.
      return { patch: { ...marks, stuckAt: null }, pollSoon: true };
    }
    const lead = deps.settings.escalateBeforeDeadlineMs;
    const verdict = stuckVerdictOf(
      {
        now,
        submittedAt: batch.submittedAt ?? batch.createdAt,
        progressAt: batch.progressAt ?? null,
        providerExpiresAt: snapshot.expiresAt ?? batch.providerExpiresAt,
        // The batch keeps its most urgent `auto` member's deadline (less the lead) only.
        earliestDeadline:
          batch.escalateAt === null || batch.escalateAt === undefined
            ? null
            : new Date(Date.parse(batch.escalateAt) + lead).toISOString(),
        stats: await statsOf(batch, now),
      },
      settings,
    );
    if (verdict === null) return { patch: { ...marks, stuckAt: null }, pollSoon: false };
    const { cancelled, escalationHeldAt } = await raise(batch, snapshot, verdict, now);
    return {
      patch: { ...marks, stuckAt: at },
      pollSoon: cancelled,
      ...(escalationHeldAt === undefined ? {} : { escalationHeldAt }),
    };
  };
};

type StuckBatchWatch = ReturnType<typeof createStuckBatchWatch>;

export { createStuckBatchWatch, type StuckBatchDeps, type StuckBatchWatch, type StuckWatch };
