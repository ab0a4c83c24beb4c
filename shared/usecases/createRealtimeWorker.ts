import { text } from 'node:stream/consumers';
import { DETAIL_TYPES } from '../contract/events.js';
import { METRIC } from '../contract/metrics.js';
import type { ResultV1 } from '../contract/result.js';
import { isBudgetSet } from '../domain/admitRequests.js';
import { backoffDelayMs } from '../domain/backoff.js';
import { budgetPeriodOf } from '../domain/budgetPeriod.js';
import { producerField } from '../domain/buildResult.js';
import { costOutcome, processedAtOf } from '../domain/costOutcome.js';
import {
  ConfigError,
  ConflictError,
  errorMessage,
  isRetryable,
  UnavailableError,
} from '../domain/errors.js';
import { resultUsageOf, tokenUsageFromResponse } from '../domain/pricing/TokenUsage.js';
import { ledgerIdOf } from '../domain/producer.js';
import { type RealtimeJob, realtimeOutcomeKey } from '../domain/RealtimeJob.js';
import type { JsonValue } from '../domain/records.js';
import { sumItemCosts } from '../domain/sumItemCosts.js';
import type { BatchMembers } from '../ports/BatchMembers.js';
import type { BatchRecords } from '../ports/BatchRecords.js';
import type { RealtimeLeases, RealtimeTarget } from '../ports/RealtimeLeases.js';
import type { RealtimeOutcome } from '../ports/RealtimeProvider.js';
import { costEntriesOf } from './costEntriesOf.js';
import type { RuntimeDeps } from './RuntimeDeps.js';

/**
 * What the realtime worker uses: leases on its targets, the escalated member and its batch,
 * the provider, the destination, and the costs and budgets it records against.
 */
type RealtimeWorkerDeps = Pick<
  RuntimeDeps,
  | 'blobs'
  | 'budgets'
  | 'clock'
  | 'costs'
  | 'deliverer'
  | 'events'
  | 'logger'
  | 'metrics'
  | 'realtime'
  | 'realtimeProviders'
  | 'settings'
> & { readonly store: RealtimeLeases & BatchMembers & BatchRecords };

interface RealtimeReport {
  readonly customId: string;
  readonly outcome:
    | 'delivered'
    | 'already-delivered'
    | 'not-escalated'
    | 'missing'
    | 'requeued'
    | 'held';
  readonly status: ResultV1['status'] | null;
  readonly lane: RealtimeJob['lane'];
}

/** SQS's longest message delay: a held job comes back at most this much later. */
const MAX_QUEUE_DELAY_SECONDS = 900;

/**
 * How long a job held for its discount window waits on the queue before it is looked at
 * again: the time left until the window opens, at most SQS's longest delay; 0 once open.
 */
const holdDelaySeconds = (job: RealtimeJob, now: Date): number => {
  if (job.hold_until === null) return 0;
  const left = Math.ceil((Date.parse(job.hold_until) - now.getTime()) / 1000);
  return Math.min(MAX_QUEUE_DELAY_SECONDS, Math.max(0, left));
};

/** Tries of one job before a still-failing call is delivered `errored`. */
const MAX_JOB_ATTEMPTS = 4;

/**
 * How long a job waits on the queue before its next try: doubling from the configured base,
 * at most five minutes, without jitter (each job is requeued on its own schedule).
 */
const requeueDelaySeconds = (attempt: number, baseSeconds: number): number =>
  backoffDelayMs(attempt - 1, { baseMs: baseSeconds * 1000, maxMs: 300_000, jitter: 0 }) / 1000;

const targetOf = (job: RealtimeJob): RealtimeTarget =>
  job.target.kind === 'request'
    ? { kind: 'request', producer: job.producer, customId: job.custom_id }
    : {
        kind: 'member',
        batchId: job.target.batch_id,
        providerCustomId: job.target.provider_custom_id,
      };

/**
 * The realtime lane's worker: serves one job with a synchronous provider call (OpenAI flex,
 * or a standard call), and delivers its result like any other, exactly once per `custom_id`:
 *
 * 1. leases the request (or the escalated batch member), so a duplicate job waits or folds;
 * 2. keeps the provider's answer in the blob store before delivering it, so a rerun after a
 *    crash delivers the same answer instead of paying for a second call;
 * 3. delivers, then records the delivery with its cost, and writes the ledger entry.
 *
 * Transient provider failures are thrown for the queue to retry; on the last try (or once
 * the deadline has passed) the request is delivered `errored` with the reason, so it never
 * ends without an outcome.
 */
const createRealtimeWorker = (deps: RealtimeWorkerDeps) => {
  const { store, blobs, clock, logger, metrics, settings } = deps;

  /**
   * Settles what was reserved for the job to what it cost, once per request and content. Not
   * reserved (0) still settles its cost, so spending on realtime counts against the budget.
   */
  const settleBudget = async (job: RealtimeJob, nanoUsd: number, at: Date): Promise<void> => {
    if (!isBudgetSet(settings.budget)) return;
    const period =
      job.reserved_on === null ? budgetPeriodOf(at) : budgetPeriodOf(new Date(job.reserved_on));
    await deps.budgets.settle(
      `req:${ledgerIdOf(job.producer, job.custom_id)}:${job.request_hash}`,
      period,
      nanoUsd - job.reserved_nano_usd,
    );
  };

  const readJson = async (key: string): Promise<unknown> =>
    JSON.parse(await text(await blobs.getStream(key)));

  /** The provider's answer, from an earlier run or from a new call. */
  const answer = async (
    job: RealtimeJob,
    lastTry: boolean,
  ): Promise<RealtimeOutcome & { readonly lane: RealtimeJob['lane'] }> => {
    const outcomeKey = realtimeOutcomeKey(job);
    if (await blobs.exists(outcomeKey)) {
      return (await readJson(outcomeKey)) as RealtimeOutcome & { lane: RealtimeJob['lane'] };
    }
    const provider = deps.realtimeProviders[job.provider];
    if (provider === undefined) {
      throw new ConfigError(`provider ${job.provider} has no realtime client`, {
        code: 'provider_not_configured',
      });
    }
    const request = (await readJson(job.request_key)) as { body?: Record<string, unknown> };
    const lane: RealtimeJob['lane'] =
      job.lane === 'off_peak'
        ? 'off_peak'
        : job.lane === 'flex' && provider.supportsFlex
          ? 'flex'
          : 'realtime';
    let outcome: RealtimeOutcome;
    try {
      outcome = await provider.invoke({
        endpoint: job.endpoint,
        body: request.body ?? {},
        model: job.model,
        // Off-peak is a time, not a tier: the call itself is a standard one.
        lane: lane === 'flex' ? 'flex' : 'realtime',
        deadline: job.deadline === null ? null : new Date(job.deadline),
      });
    } catch (error) {
      const deadlinePassed =
        job.deadline !== null && Date.parse(job.deadline) <= clock.now().getTime();
      if (isRetryable(error) && !lastTry && !deadlinePassed) throw error;
      metrics.count(METRIC.RealtimeGaveUp, 1, { provider: job.provider, lane });
      outcome = {
        status: 'errored',
        response: null,
        error: {
          type: deadlinePassed ? 'deadline_exceeded' : 'realtime_unavailable',
          message: `${lane} call did not succeed: ${errorMessage(error)}`,
        },
        retryable: false,
        model: null,
        serviceTier: null,
        httpAttempts: 0,
      };
    }
    const kept = { ...outcome, lane };
    await blobs.put(outcomeKey, JSON.stringify(kept), { contentType: 'application/json' });
    return kept;
  };

  return async (
    job: RealtimeJob,
    options: {
      /** Whether this is the queue's last try at the job (its DLQ is next). */
      readonly lastTry?: boolean;
    } = {},
  ): Promise<RealtimeReport> => {
    const target = targetOf(job);
    const report = (outcome: RealtimeReport['outcome']): RealtimeReport => ({
      customId: job.custom_id,
      outcome,
      status: null,
      lane: job.lane,
    });
    const holdSeconds = holdDelaySeconds(job, clock.now());
    if (holdSeconds > 0 && deps.realtime !== null) {
      // Held for the provider's discount window: back on the queue, nothing leased or written.
      await deps.realtime.dispatch(job, { delaySeconds: holdSeconds });
      metrics.count(METRIC.RealtimeHeld, 1, { provider: job.provider });
      return report('held');
    }
    if (job.target.kind === 'member') {
      // The poller sends the job before it marks the member escalated: until the mark is
      // there, the batch's own result may still be the one delivered.
      const member = (
        await store.getItems(job.target.batch_id, [job.target.provider_custom_id])
      ).get(job.target.provider_custom_id);
      if (member === undefined || member.escalatedAt === null) {
        const batch = await store.getBatch(job.target.batch_id);
        // `open`: a batch below its provider's minimum hands every member over before it ends.
        if (batch?.state !== 'submitted' && batch?.state !== 'open') {
          return report('not-escalated');
        }
        throw new UnavailableError(`member ${job.custom_id} is not escalated yet`, {
          code: 'escalation_pending',
        });
      }
    }
    const now = clock.now();
    const lease = await store.leaseRealtime(
      target,
      new Date(now.getTime() + settings.leaseMs).toISOString(),
      now.toISOString(),
    );
    if (lease === 'done') return report('already-delivered');
    if (lease === 'missing') {
      logger.error('realtime job for a request the lane does not hold', {
        customId: job.custom_id,
      });
      return report('missing');
    }
    if (lease === 'busy') {
      throw new ConflictError(`another worker is serving ${job.custom_id}`, {
        code: 'realtime_busy',
      });
    }
    let served: Awaited<ReturnType<typeof answer>>;
    try {
      served = await answer(job, (options.lastTry ?? false) || job.attempt >= MAX_JOB_ATTEMPTS);
    } catch (error) {
      // A transient failure: the job goes back on the queue as a new message after a short,
      // growing delay (not the queue's long visibility timeout), and the lease is handed back
      // so the next try is not kept waiting.
      await store.releaseRealtime(target);
      if (deps.realtime === null) throw error;
      const delaySeconds = requeueDelaySeconds(job.attempt, settings.realtimeRetryBaseSeconds);
      await deps.realtime.dispatch({ ...job, attempt: job.attempt + 1 }, { delaySeconds });
      metrics.count(METRIC.RealtimeRetries, 1, { provider: job.provider });
      logger.warn('realtime call failed for now; job requeued', {
        customId: job.custom_id,
        attempt: job.attempt,
        delaySeconds,
        error: errorMessage(error),
      });
      return report('requeued');
    }
    const deliveredAt = clock.now();
    const model = served.model ?? job.model;
    const { cost, itemCost } = costOutcome(
      {
        provider: job.provider,
        endpoint: job.endpoint,
        model,
        lane: served.lane,
        response: served.status === 'succeeded' ? served.response : null,
        at: deliveredAt,
        processedAt: processedAtOf(served.response),
        metadata: job.metadata as JsonValue | null,
      },
      settings.priceTable,
      settings.costTagKey,
    );
    const result: ResultV1 = {
      schema: 'batchlane.result.v1',
      custom_id: job.custom_id,
      ...producerField(job.producer),
      status: served.status,
      provider: job.provider,
      endpoint: job.endpoint,
      model,
      batch_id: job.target.kind === 'member' ? job.target.batch_id : null,
      provider_batch_id: null,
      response: (served.response ?? null) as JsonValue,
      error: served.error,
      usage:
        served.status === 'succeeded'
          ? resultUsageOf(tokenUsageFromResponse(job.provider, job.endpoint, served.response))
          : null,
      cost,
      lane: { requested: job.requested, served_by: served.lane, reason: job.reason },
      attempts: job.target.kind === 'member' ? job.target.attempts : 1,
      metadata: job.metadata as JsonValue | null,
      accepted_at: job.accepted_at,
      submitted_at: null,
      ended_at: deliveredAt.toISOString(),
      delivered_at: deliveredAt.toISOString(),
    };
    const destination = job.destination ?? settings.defaultDestination;
    if (destination === null) {
      throw new ConfigError(`result of ${job.custom_id} has no destination`, {
        code: 'no_destination',
      });
    }
    const delivery = await deps.deliverer.deliver(destination, [result], {
      // Named by the producer's id too: another producer's request may share the custom_id.
      batchId:
        job.producer === ''
          ? `realtime-${job.custom_id}`
          : `realtime-${job.producer}.${job.custom_id}`,
      part: job.request_hash.slice(0, 12),
    });
    const failure = delivery.failed[0];
    if (failure !== undefined) throw failure.error;
    await store.finishRealtime(target, {
      status: result.status,
      deliveredAt: result.delivered_at,
      cost: itemCost,
    });
    await deps.costs.record(
      costEntriesOf(
        `req:${ledgerIdOf(job.producer, job.custom_id)}`,
        job.provider,
        served.lane,
        sumItemCosts([itemCost]).groups,
      ),
    );
    await settleBudget(job, itemCost.nanoUsd, deliveredAt);
    metrics.count(METRIC.ResultsDelivered, 1, { status: result.status });
    metrics.count(METRIC.RealtimeServed, 1, { provider: job.provider, lane: served.lane });
    if (settings.publishRequestEvents) {
      await deps.events.publish([
        {
          detailType: DETAIL_TYPES.requestCompleted,
          detail: {
            custom_id: job.custom_id,
            ...producerField(job.producer),
            status: result.status,
            batch_id: result.batch_id,
            provider: job.provider,
            model,
            lane: served.lane,
            attempts: result.attempts,
            destination_type: destination.type,
            accepted_at: job.accepted_at,
            delivered_at: result.delivered_at,
          },
        },
      ]);
    }
    return {
      customId: job.custom_id,
      outcome: 'delivered',
      status: result.status,
      lane: served.lane,
    };
  };
};

export { createRealtimeWorker, holdDelaySeconds, type RealtimeReport, type RealtimeWorkerDeps };
