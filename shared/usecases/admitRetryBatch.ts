import { METRIC } from '../contract/metrics.js';
import type { HoldReason } from '../domain/admitRequests.js';
import type { BatchRecord } from '../domain/records.js';
import {
  type AdmissionDecisionDeps,
  createAdmissionDecision,
  type HeldReportDeps,
  publishRequestsHeld,
  retryInSeconds,
} from './createAdmission.js';

/** What admitting a retry batch, or reporting it held, uses. */
type RetryAdmissionDeps = AdmissionDecisionDeps & HeldReportDeps;

/**
 * What a retry batch's `lastError` starts with while it waits for admission: its worst case is
 * not reserved yet, so it must not be submitted. Starts like every hold (`held: `), so the
 * status page and the quota hold read it as one.
 */
const ADMISSION_HOLD_PREFIX = 'held: not admitted: ';

/** Whether a batch waits for admission (a retry batch over a budget or quota). */
const awaitsAdmission = (batch: Pick<BatchRecord, 'lastError'>): boolean =>
  batch.lastError?.startsWith(ADMISSION_HOLD_PREFIX) === true;

/** The `lastError` of a retry batch held for `reason`. */
const admissionHoldOf = (reason: HoldReason): string =>
  `${ADMISSION_HOLD_PREFIX}${reason}: its retry waits until the ${reason.startsWith('budget') ? 'budget' : 'quota'} has room`;

/**
 * Admits a retry batch as new work is admitted: as one request of its provider and models,
 * its worst case (its share of the parent's estimate) checked against the quotas and budgets
 * and reserved in the same conditional write. A retry batch goes whole or waits whole, so its
 * members stay together. Returns null when admitted, or why it is held.
 */
const admitRetryBatch = async (
  deps: RetryAdmissionDeps,
  batch: Pick<BatchRecord, 'provider' | 'models' | 'estimate'> & {
    /** The batch itself, once recorded: not counted as in flight against its own quota. */
    readonly batchId: string | null;
  },
): Promise<HoldReason | null> => {
  const estimate = batch.estimate ?? null;
  const candidate = {
    provider: batch.provider,
    model: batch.models.join(','),
    batch: true,
    inputTokens: Object.values(estimate?.byModel ?? {}).reduce((sum, m) => sum + m.tokens, 0),
    nanoUsd: estimate?.nanoUsd ?? 0,
  };
  const decision = await createAdmissionDecision(deps)([candidate], {
    excludeBatchId: batch.batchId,
  });
  return decision.held[0]?.reason ?? null;
};

/**
 * Reports a retry batch held by admission: a `Requests Held` event per producer of its
 * members, naming the batch and that producer's ids (once, when the hold begins: the batch
 * record keeps the hold), the metric and a log line. Returns how long until it is looked at
 * again, in seconds.
 */
const reportRetryHeld = async (
  deps: RetryAdmissionDeps,
  batch: Pick<BatchRecord, 'batchId' | 'provider' | 'models'>,
  reason: HoldReason,
  members: Iterable<{ readonly producer: string; readonly customId: string }>,
): Promise<number> => {
  const retryIn = retryInSeconds(reason, deps.settings.quotaRetrySeconds);
  const byProducer = new Map<string, string[]>();
  for (const { producer, customId } of members) {
    byProducer.set(producer, [...(byProducer.get(producer) ?? []), customId]);
  }
  const count = [...byProducer.values()].reduce((sum, ids) => sum + ids.length, 0);
  deps.metrics.count(METRIC.RequestsHeld, count, { reason });
  deps.logger.info('retry batch held by admission', {
    batchId: batch.batchId,
    reason,
    requests: count,
  });
  for (const [producer, customIds] of byProducer) {
    await publishRequestsHeld(deps, {
      reason,
      producer,
      provider: batch.provider,
      model: batch.models.join(','),
      requests: customIds.length,
      customIds,
      batchId: batch.batchId,
      retryInSeconds: retryIn,
    });
  }
  return retryIn;
};

export {
  admissionHoldOf,
  admitRetryBatch,
  awaitsAdmission,
  type RetryAdmissionDeps,
  reportRetryHeld,
};
