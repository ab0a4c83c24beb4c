import { DETAIL_TYPES } from '../contract/events.js';
import { METRIC } from '../contract/metrics.js';
import type { ProviderName } from '../contract/providers.js';
import {
  type AdmissionCandidate,
  type AdmissionState,
  admitRequests,
  type HoldReason,
  inFlightKey,
} from '../domain/admitRequests.js';
import { ACTIVE_BATCH_STATES } from '../domain/records.js';
import type { RuntimeDeps } from './RuntimeDeps.js';

/**
 * How long a held request waits before it is read again: quotas free up as batches end (the
 * deployment's `quotaRetrySeconds`); budgets when the day or month turns (SQS's longest delay).
 */
const retryInSeconds = (reason: HoldReason, quotaRetrySeconds: number): number =>
  reason === 'quota_requests' || reason === 'quota_tokens' ? quotaRetrySeconds : 900;

/** Far enough ahead to list every batch on the active-batches index. */
const FAR_FUTURE = '9999-12-31T23:59:59.999Z';
/** Past days' spending changes rarely (late completions): read again after this long. */
const PAST_DAYS_TTL_MS = 5 * 60 * 1000;
/** Most active batches read for admission (the index is ordered by next poll). */
const MAX_ACTIVE_BATCHES = 10_000;

/** An accepted request as admission weighs it, with the message that carried it. */
interface AdmissionRequest extends AdmissionCandidate {
  readonly provider: ProviderName;
  readonly customId: string;
  readonly messageId: string;
  /** The intake message as sent: requeued unchanged, so its idempotency hash holds. */
  readonly body: string;
}

/**
 * Admission control for the collector: what is in flight at each provider and model (from
 * the active batches' estimates) and what was spent today and this month (from the cost
 * ledger, plus the estimates of batches not yet costed), against the deployment's quotas and
 * budgets. Requests over a limit are held: sent back to the intake queue with a delay (as
 * new messages, so they never count towards the dead-letter queue) and reported with a
 * `Requests Held` event per reason, provider and model. Inactive when no limit is set.
 */
const createAdmission = (deps: RuntimeDeps) => {
  const { store, clock, settings, logger, metrics } = deps;
  const active =
    Object.keys(settings.quotas).length > 0 ||
    settings.budget.dailyNanoUsd !== null ||
    settings.budget.monthlyNanoUsd !== null;
  let pastDays: { month: string; today: string; nanoUsd: number; readAt: number } | null = null;

  const spentBefore = async (monthStart: string, today: string): Promise<number> => {
    const now = clock.now().getTime();
    if (
      pastDays !== null &&
      pastDays.today === today &&
      pastDays.month === monthStart &&
      now - pastDays.readAt < PAST_DAYS_TTL_MS
    ) {
      return pastDays.nanoUsd;
    }
    let nanoUsd = 0;
    if (monthStart < today) {
      const yesterday = new Date(Date.parse(`${today}T00:00:00.000Z`) - 86_400_000)
        .toISOString()
        .slice(0, 10);
      for await (const entry of deps.costs.entries({ since: monthStart, until: yesterday })) {
        nanoUsd += entry.nanoUsd;
      }
    }
    pastDays = { month: monthStart, today, nanoUsd, readAt: now };
    return nanoUsd;
  };

  const loadState = async (): Promise<AdmissionState> => {
    const now = clock.now().toISOString();
    const today = now.slice(0, 10);
    const monthStart = `${now.slice(0, 7)}-01`;
    let spentToday = 0;
    for await (const entry of deps.costs.entries({ since: today, until: today })) {
      spentToday += entry.nanoUsd;
    }
    const inFlight = new Map<string, { requests: number; tokens: number }>();
    let uncosted = 0;
    for (const batch of await store.listDueBatches(FAR_FUTURE, MAX_ACTIVE_BATCHES)) {
      if (!ACTIVE_BATCH_STATES.includes(batch.state) || batch.estimate === undefined) continue;
      if (batch.estimate === null) continue;
      // Not yet in the ledger: what it may still cost counts against the budget.
      uncosted += batch.estimate.nanoUsd;
      // Only batches the provider still works on count towards its queue.
      if (batch.state === 'ended') continue;
      for (const [model, use] of Object.entries(batch.estimate.byModel)) {
        const key = inFlightKey(batch.provider, model);
        const sum = inFlight.get(key) ?? { requests: 0, tokens: 0 };
        inFlight.set(key, {
          requests: sum.requests + use.requests,
          tokens: sum.tokens + use.tokens,
        });
      }
    }
    const before = await spentBefore(monthStart, today);
    return {
      inFlight,
      spentTodayNanoUsd: spentToday + uncosted,
      spentThisMonthNanoUsd: before + spentToday + uncosted,
    };
  };

  /**
   * Splits requests into those that go now and those held. Held requests are requeued here;
   * the ids of messages whose requeue failed are returned for SQS to deliver again.
   */
  return async <T extends AdmissionRequest>(
    requests: readonly T[],
  ): Promise<{ readonly admitted: T[]; readonly failedMessageIds: string[] }> => {
    if (!active || requests.length === 0) return { admitted: [...requests], failedMessageIds: [] };
    const { admitted, held } = admitRequests(requests, await loadState(), {
      quotas: settings.quotas,
      budget: settings.budget,
    });
    if (held.length === 0) return { admitted, failedMessageIds: [] };

    const groups = new Map<string, { reason: HoldReason; requests: T[] }>();
    for (const { candidate, reason } of held) {
      const key = `${reason} ${candidate.provider} ${candidate.model}`;
      const group = groups.get(key) ?? { reason, requests: [] };
      group.requests.push(candidate);
      groups.set(key, group);
    }
    const failedMessageIds: string[] = [];
    const heldAt = clock.now().toISOString();
    for (const { reason, requests: group } of groups.values()) {
      const first = group[0];
      if (first === undefined) continue;
      const retryIn = retryInSeconds(reason, settings.quotaRetrySeconds);
      if (deps.requeue === null) {
        // Without the intake queue's address, SQS itself brings them back.
        failedMessageIds.push(...group.map((r) => r.messageId));
      } else {
        try {
          await deps.requeue.requeue(
            group.map((r) => r.body),
            retryIn,
          );
        } catch (error) {
          failedMessageIds.push(...group.map((r) => r.messageId));
          logger.warn('held requests not requeued; SQS will deliver them again', {
            reason,
            error,
          });
          continue;
        }
      }
      metrics.count(METRIC.RequestsHeld, group.length, { reason });
      logger.info('requests held by admission', {
        reason,
        provider: first.provider,
        model: first.model,
        requests: group.length,
      });
      await deps.events
        .publish([
          {
            detailType: DETAIL_TYPES.requestsHeld,
            detail: {
              reason,
              provider: first.provider,
              model: first.model,
              requests: group.length,
              custom_ids: group.slice(0, 50).map((r) => r.customId),
              retry_in_seconds: retryIn,
              held_at: heldAt,
            },
          },
        ])
        // The hold itself is durable (the messages are back in the queue); a lost report is
        // logged, and the next hold reports again.
        .catch((error: unknown) => {
          metrics.count(METRIC.EventPublishFailures, 1, { detailType: DETAIL_TYPES.requestsHeld });
          logger.warn('Requests Held event not published', { error });
        });
    }
    return { admitted, failedMessageIds };
  };
};

export { type AdmissionRequest, createAdmission };
