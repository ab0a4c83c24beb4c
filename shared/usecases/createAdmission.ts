import { DETAIL_TYPES } from '../contract/events.js';
import { METRIC } from '../contract/metrics.js';
import type { ProviderName } from '../contract/providers.js';
import {
  type AdmissionCandidate,
  type AdmissionState,
  admitRequests,
  type HoldReason,
  inFlightKey,
  isBudgetSet,
} from '../domain/admitRequests.js';
import { type BudgetPeriod, budgetPeriodOf } from '../domain/budgetPeriod.js';
import { ACTIVE_BATCH_STATES } from '../domain/records.js';
import type { BatchRecords } from '../ports/BatchRecords.js';
import type { RuntimeDeps } from './RuntimeDeps.js';

/** What a `Requests Held` report uses. */
type HeldReportDeps = Pick<RuntimeDeps, 'clock' | 'events' | 'logger' | 'metrics'>;

/** What admission's decision uses: the budgets, and the running batches its quotas count. */
type AdmissionDecisionDeps = Pick<RuntimeDeps, 'budgets' | 'clock' | 'metrics' | 'settings'> & {
  readonly store: BatchRecords;
};

/** What admission uses: its decision, its report, and the queue held requests go back to. */
type AdmissionDeps = AdmissionDecisionDeps &
  HeldReportDeps &
  Pick<RuntimeDeps, 'logger' | 'requeue' | 'settings'>;

/**
 * How long a held request waits before it is read again: quotas free up as batches end (the
 * deployment's `quotaRetrySeconds`); budgets when the day or month turns (SQS's longest delay).
 */
const retryInSeconds = (reason: HoldReason, quotaRetrySeconds: number): number =>
  reason === 'quota_requests' || reason === 'quota_tokens' ? quotaRetrySeconds : 900;

/** Far enough ahead to list every batch on the active-batches index. */
const FAR_FUTURE = '9999-12-31T23:59:59.999Z';
/**
 * Tries at reserving what fits in a budget: each loses only to another collector's
 * reservation made since the read, so a few suffice; after that the requests are held.
 */
const RESERVE_TRIES = 4;
/** Most active batches read for admission (the index is ordered by next poll). */
const MAX_ACTIVE_BATCHES = 10_000;

/** An accepted request as admission weighs it, with the message that carried it. */
interface AdmissionRequest extends AdmissionCandidate {
  readonly provider: ProviderName;
  readonly customId: string;
  /** Who sent it: requeued with it, and named in the `Requests Held` event. */
  readonly producer: string;
  readonly messageId: string;
  /** The intake message as sent: requeued unchanged, so its idempotency hash holds. */
  readonly body: string;
}

/** A `Requests Held` event's detail, less when it was held. */
interface HeldReport {
  readonly reason: HoldReason | 'quota_jobs';
  readonly producer: string;
  readonly provider: ProviderName;
  readonly model: string;
  readonly requests: number;
  readonly customIds: readonly string[];
  /** The batch held whole (a retry batch), when it is one. */
  readonly batchId?: string;
  readonly retryInSeconds: number;
}

/**
 * Publishes one `Requests Held` event. The hold itself is durable (in the queue or in a batch
 * record); a lost report is logged and counted, never thrown.
 */
const publishRequestsHeld = async (deps: HeldReportDeps, held: HeldReport): Promise<void> => {
  await deps.events
    .publish([
      {
        detailType: DETAIL_TYPES.requestsHeld,
        detail: {
          reason: held.reason,
          ...(held.producer === '' ? {} : { producer: held.producer }),
          provider: held.provider,
          model: held.model,
          requests: held.requests,
          custom_ids: held.customIds.slice(0, 50),
          ...(held.batchId === undefined ? {} : { batch_id: held.batchId }),
          retry_in_seconds: held.retryInSeconds,
          held_at: deps.clock.now().toISOString(),
        },
      },
    ])
    .catch((error: unknown) => {
      deps.metrics.count(METRIC.EventPublishFailures, 1, {
        detailType: DETAIL_TYPES.requestsHeld,
      });
      deps.logger.warn('Requests Held event not published', { error });
    });
};

/**
 * The admission decision every kind of work goes through: new requests at intake, retry
 * batches and escalations alike. It weighs what is in flight per provider and model (from the
 * active batches' estimates) and what is reserved today and this month against the
 * deployment's quotas and budgets, and reserves the admitted work's worst case in one
 * conditional write. Admits everything, reserving nothing, when no limit is set.
 */
const createAdmissionDecision = (deps: AdmissionDecisionDeps) => {
  const { store, clock, settings, metrics } = deps;
  const quotasSet = Object.keys(settings.quotas).length > 0;
  const budgetSet = isBudgetSet(settings.budget);
  const active = quotasSet || budgetSet;
  /** What is in flight per provider and model, from the active batches' estimates. */
  const loadInFlight = async (
    excludeBatchId: string | null,
  ): Promise<AdmissionState['inFlight']> => {
    const inFlight = new Map<string, { requests: number; tokens: number }>();
    if (!quotasSet) return inFlight;
    for (const batch of await store.listDueBatches(FAR_FUTURE, MAX_ACTIVE_BATCHES)) {
      if (batch.batchId === excludeBatchId) continue;
      if (!ACTIVE_BATCH_STATES.includes(batch.state) || batch.estimate === undefined) continue;
      // Only batches the provider still works on count towards its queue.
      if (batch.estimate === null || batch.state === 'ended') continue;
      for (const [model, use] of Object.entries(batch.estimate.byModel)) {
        const key = inFlightKey(batch.provider, model);
        const sum = inFlight.get(key) ?? { requests: 0, tokens: 0 };
        inFlight.set(key, {
          requests: sum.requests + use.requests,
          tokens: sum.tokens + use.tokens,
        });
      }
    }
    return inFlight;
  };

  /**
   * Decides what goes now and reserves its worst-case cost against the budgets in one
   * conditional write: collectors racing for the same budget each read what is reserved,
   * and only one of two whose reservations would not both fit gets its write; the other
   * reads again and admits what still fits.
   */
  /**
   * One request (an escalation, a retry batch, a lone intake message): its conditional write is
   * the budget check, so the counters are read only to tell why it is held. One write per
   * admitted request, as for the requests of a whole invocation.
   */
  const decideOne = async <T extends AdmissionCandidate>(
    request: T,
    inFlight: AdmissionState['inFlight'],
    period: BudgetPeriod,
  ): Promise<{ admitted: T[]; held: { candidate: T; reason: HoldReason }[] }> => {
    const unlimited = { dailyNanoUsd: null, monthlyNanoUsd: null };
    const byQuota = admitRequests(
      [request],
      { inFlight, spentTodayNanoUsd: 0, spentThisMonthNanoUsd: 0 },
      { quotas: settings.quotas, budget: unlimited },
    );
    if (byQuota.held.length > 0) return byQuota;
    if (
      request.nanoUsd === 0 ||
      (await deps.budgets.reserve(period, request.nanoUsd, settings.budget))
    ) {
      return { admitted: [request], held: [] };
    }
    const reserved = await deps.budgets.read(period);
    const why = admitRequests(
      [request],
      {
        inFlight,
        spentTodayNanoUsd: reserved.dayNanoUsd,
        spentThisMonthNanoUsd: reserved.monthNanoUsd,
      },
      { quotas: settings.quotas, budget: settings.budget },
    ).held[0]?.reason;
    // Room again by the time of the read (another reservation settled): it waits for the next
    // try all the same, held by the budget that refused the write.
    const reason: HoldReason =
      why ?? (settings.budget.dailyNanoUsd !== null ? 'budget_daily' : 'budget_monthly');
    return { admitted: [], held: [{ candidate: request, reason }] };
  };

  const decide = async <T extends AdmissionCandidate>(
    requests: readonly T[],
    period: BudgetPeriod,
    excludeBatchId: string | null,
  ): Promise<{ admitted: T[]; held: { candidate: T; reason: HoldReason }[] }> => {
    // Quotas bound provider batches only: realtime work needs no scan of the active batches.
    const inFlight = requests.some((r) => r.batch)
      ? await loadInFlight(excludeBatchId)
      : new Map<string, { requests: number; tokens: number }>();
    const limits = { quotas: settings.quotas, budget: settings.budget };
    if (!budgetSet) {
      return admitRequests(
        requests,
        { inFlight, spentTodayNanoUsd: 0, spentThisMonthNanoUsd: 0 },
        limits,
      );
    }
    const [only] = requests;
    if (requests.length === 1 && only !== undefined) return decideOne(only, inFlight, period);
    for (let attempt = 1; attempt <= RESERVE_TRIES; attempt += 1) {
      const reserved = await deps.budgets.read(period);
      const decision = admitRequests(
        requests,
        {
          inFlight,
          spentTodayNanoUsd: reserved.dayNanoUsd,
          spentThisMonthNanoUsd: reserved.monthNanoUsd,
        },
        limits,
      );
      const total = decision.admitted.reduce((sum, r) => sum + r.nanoUsd, 0);
      if (total === 0 || (await deps.budgets.reserve(period, total, settings.budget))) {
        return decision;
      }
      metrics.count(METRIC.BudgetReservationConflicts, 1);
    }
    // Still losing the race: everything waits for the next try, nothing passes the budget.
    const reason: HoldReason =
      settings.budget.dailyNanoUsd !== null ? 'budget_daily' : 'budget_monthly';
    return { admitted: [], held: requests.map((candidate) => ({ candidate, reason })) };
  };

  /**
   * Splits `requests` into those admitted, whose worst case is now reserved in `reservedIn`
   * (null: nothing reserved, no budget set), and those held, with why. `excludeBatchId`: a
   * batch being admitted itself, not counted as in flight against its own quota.
   */
  return async <T extends AdmissionCandidate>(
    requests: readonly T[],
    options: { readonly excludeBatchId?: string | null } = {},
  ): Promise<{
    readonly admitted: T[];
    readonly held: { candidate: T; reason: HoldReason }[];
    readonly reservedIn: BudgetPeriod | null;
  }> => {
    if (!active || requests.length === 0) {
      return { admitted: [...requests], held: [], reservedIn: null };
    }
    const period = budgetPeriodOf(clock.now());
    const decision = await decide(requests, period, options.excludeBatchId ?? null);
    return { ...decision, reservedIn: budgetSet ? period : null };
  };
};

/**
 * Admission control for the collector: requests over a quota or budget are held: sent back
 * to the intake queue with a delay (as new messages, so they never count towards the
 * dead-letter queue) and reported with a `Requests Held` event per reason, producer, provider
 * and model. Inactive when no limit is set.
 */
const createAdmission = (deps: AdmissionDeps) => {
  const { settings, logger, metrics } = deps;
  const decideAdmission = createAdmissionDecision(deps);

  /**
   * Splits requests into those that go now and those held. Held requests are requeued here;
   * the ids of messages whose requeue failed are returned for SQS to deliver again.
   */
  return async <T extends AdmissionRequest>(
    requests: readonly T[],
  ): Promise<{
    readonly admitted: T[];
    readonly failedMessageIds: string[];
    /** The period the admitted requests' costs were reserved in; null: nothing reserved. */
    readonly reservedIn: BudgetPeriod | null;
  }> => {
    const { admitted, held, reservedIn } = await decideAdmission(requests);
    if (held.length === 0) return { admitted, failedMessageIds: [], reservedIn };

    const groups = new Map<string, { reason: HoldReason; requests: T[] }>();
    for (const { candidate, reason } of held) {
      const key = `${reason} ${candidate.producer} ${candidate.provider} ${candidate.model}`;
      const group = groups.get(key) ?? { reason, requests: [] };
      group.requests.push(candidate);
      groups.set(key, group);
    }
    const failedMessageIds: string[] = [];
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
            group.map((r) => ({ body: r.body, producer: r.producer })),
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
      await publishRequestsHeld(deps, {
        reason,
        producer: first.producer,
        provider: first.provider,
        model: first.model,
        requests: group.length,
        customIds: group.map((r) => r.customId),
        retryInSeconds: retryIn,
      });
    }
    return { admitted, failedMessageIds, reservedIn };
  };
};

export {
  type AdmissionDecisionDeps,
  type AdmissionDeps,
  type AdmissionRequest,
  createAdmission,
  createAdmissionDecision,
  type HeldReport,
  type HeldReportDeps,
  publishRequestsHeld,
  retryInSeconds,
};
