import { DETAIL_TYPES, type StatusCounts } from '../../contract/events.js';
import { METRIC } from '../../contract/metrics.js';
import { isBudgetSet } from '../../domain/admitRequests.js';
import { budgetPeriodOf } from '../../domain/budgetPeriod.js';
import { errorMessage, UnavailableError } from '../../domain/errors.js';
import type { BatchRecord } from '../../domain/records.js';
import { sumItemCosts } from '../../domain/sumItemCosts.js';
import { turnaroundModelOf, turnaroundMsOf } from '../../domain/turnaround.js';
import type { BatchMembers } from '../../ports/BatchMembers.js';
import { costEntriesOf } from '../costEntriesOf.js';
import { createRetryBatch } from '../createRetryBatch.js';
import type { RuntimeDeps } from '../RuntimeDeps.js';
import type { CheckpointWriter } from './CheckpointWriter.js';
import type { CompletionReport } from './CompletionReport.js';
import type { CompletionRun } from './CompletionRun.js';
import { addCost, type CostSum } from './deliveryTotals.js';

type BatchCost = ReturnType<typeof sumItemCosts>;

/** The batch's counts and cost groups: the totals, plus what the exception items say. */
interface BatchOutcome {
  readonly counts: StatusCounts;
  readonly costGroups: CostSum[];
}

/**
 * The exceptions as they now stand: members moved to the retry batch, served by the realtime
 * lane, or delivered after a failed try are counted (and the last costed) from their items;
 * every other member from the totals. The batch has ended, so no member becomes an exception
 * but by a completion run's hand: those known at the start, and those this run sent again or
 * could not deliver. Throws while a member has no outcome yet.
 */
const countOutcomes = async (
  deps: { readonly store: Pick<BatchMembers, 'exceptionsOf'> },
  run: CompletionRun,
): Promise<BatchOutcome> => {
  const { batchId } = run.batch;
  const { totals } = run.progress;
  const counts: StatusCounts = { ...totals.counts };
  const costs = new Map(totals.costs);
  let undelivered = 0;
  for (const item of (await deps.store.exceptionsOf(batchId, run.table.exceptionIds)).values()) {
    if (item.status === null) {
      undelivered += 1;
      continue;
    }
    counts[item.status] += 1;
    // Escalated members are costed by the realtime lane, which served them.
    if (item.cost !== null && item.status !== 'retried' && item.escalatedAt === null) {
      addCost(costs, item.cost);
    }
  }
  if (undelivered > 0) {
    // Escalated and not yet served by the realtime lane, or a move lost to a concurrent
    // run: try again.
    throw new UnavailableError(`${undelivered} members of batch ${batchId} have no outcome yet`, {
      code: 'delivery_incomplete',
      details: { batchId, undelivered },
    });
  }
  return { counts, costGroups: [...costs.values()] };
};

/**
 * The batch's cost, written to the ledger as entries keyed by the batch (a rerun rewrites the
 * same entries), and what its members were reserved at (its estimate) settled as what they
 * cost, in the period the batch was made in; once per batch, whatever the reruns.
 */
const recordCost = async (
  deps: Pick<RuntimeDeps, 'costs' | 'budgets'> & {
    readonly settings: Pick<RuntimeDeps['settings'], 'budget'>;
  },
  batch: BatchRecord,
  cost: BatchCost,
  costGroups: readonly CostSum[],
): Promise<void> => {
  await deps.costs.record(costEntriesOf(batch.batchId, batch.provider, 'batch', cost.groups));
  if (isBudgetSet(deps.settings.budget)) {
    const actual = costGroups.reduce((sum, c) => sum + c.nanoUsd, 0);
    await deps.budgets.settle(
      `batch:${batch.batchId}`,
      budgetPeriodOf(new Date(batch.createdAt)),
      actual - (batch.estimate?.nanoUsd ?? 0),
    );
  }
};

/** `Batch Ended` and `Batch Delivered`, published before the batch is recorded completed. */
const publishBatchEvents = async (
  deps: Pick<RuntimeDeps, 'events'>,
  batch: BatchRecord,
  outcome: { counts: StatusCounts; cost: BatchCost },
  retryBatchId: string | null,
  completedAt: string,
): Promise<void> => {
  // What both events say of the batch.
  const batchDetail = {
    batch_id: batch.batchId,
    provider: batch.provider,
    provider_batch_id: batch.providerBatchId ?? '',
    request_count: batch.requestCount,
    counts: outcome.counts,
  };
  await deps.events.publish([
    {
      detailType: DETAIL_TYPES.batchEnded,
      detail: {
        ...batchDetail,
        cost: outcome.cost.total,
        submitted_at: batch.submittedAt ?? batch.createdAt,
        ended_at: batch.endedAt ?? completedAt,
        delivered_at: completedAt,
        // Why members were sent again or delivered errored without a result of their own.
        ...(batch.resultsGone === undefined ? {} : { results_gone: [...batch.resultsGone] }),
      },
    },
    {
      detailType: DETAIL_TYPES.batchDelivered,
      detail: {
        ...batchDetail,
        retry_batch_ids: retryBatchId === null ? [] : [retryBatchId],
        delivered_at: completedAt,
      },
    },
  ]);
};

/**
 * Records how long the batch took (one item), for the turnaround distribution. Losing it
 * loses one sample of a statistic, never a result: logged, not retried.
 */
const recordTurnaround = async (
  deps: Pick<RuntimeDeps, 'turnarounds' | 'metrics' | 'logger'>,
  batch: BatchRecord,
  completedAt: string,
  firstDeliveredAt: string | null,
): Promise<void> => {
  const times = {
    batchId: batch.batchId,
    provider: batch.provider,
    model: turnaroundModelOf(batch.models),
    requestCount: batch.requestCount,
    submittedAt: batch.submittedAt ?? batch.createdAt,
    inProgressAt: batch.inProgressAt ?? null,
    endedAt: batch.endedAt ?? completedAt,
    firstDeliveredAt,
    lastDeliveredAt: completedAt,
  };
  deps.metrics.seconds(METRIC.BatchTurnaroundSeconds, turnaroundMsOf(times) / 1000, {
    provider: batch.provider,
  });
  if (deps.turnarounds === undefined) return;
  try {
    await deps.turnarounds.record(times);
  } catch (error) {
    deps.logger.warn('batch turnaround not recorded', {
      batchId: batch.batchId,
      error: errorMessage(error),
    });
  }
};

/**
 * Results are archived and delivered: what the provider still keeps of the batch is no
 * longer needed. Failing here loses nothing (the provider expires it in about 30 days), so
 * it is counted and logged, not retried.
 */
const deleteProviderArtifacts = async (
  deps: Pick<RuntimeDeps, 'providers' | 'metrics' | 'logger'>,
  batch: BatchRecord,
): Promise<void> => {
  const provider = deps.providers[batch.provider];
  if (provider?.deleteArtifacts === undefined || batch.providerBatchId === null) return;
  try {
    await provider.deleteArtifacts(batch.providerBatchId);
  } catch (error) {
    deps.metrics.count(METRIC.ProviderCleanupFailures, 1, { provider: batch.provider });
    deps.logger.warn('provider artifacts not deleted', {
      batchId: batch.batchId,
      error: errorMessage(error),
    });
  }
};

/**
 * Closes a batch whose results are all delivered: sends its members to send again to a new
 * batch, counts and costs the batch (checkpointed totals plus exception items), writes its
 * cost entries and publishes its events, then records it completed (in that order: a crash in
 * between repeats the events, at least once, rather than losing them), records its
 * turnaround and deletes what the provider keeps of it.
 */
const finalizeCompletion = async (
  deps: RuntimeDeps,
  run: CompletionRun,
  checkpoints: CheckpointWriter,
): Promise<CompletionReport> => {
  const { batch, table, progress } = run;
  const { batchId } = batch;
  const { metrics, logger } = deps;
  if (progress.failed > 0) {
    throw new UnavailableError(
      `${progress.failed} results of batch ${batchId} could not be delivered yet`,
      {
        code: 'delivery_incomplete',
        details: { batchId, failed: progress.failed, delivered: progress.delivered },
      },
    );
  }
  const retryBatchId =
    table.retries.size === 0
      ? null
      : await createRetryBatch(deps, batch, table.retries, deps.settings.leaseMs);
  table.exceptionIds.push(...table.retries.keys());
  const { counts, costGroups } = await countOutcomes(deps, run);
  const cost = sumItemCosts(costGroups);
  const completedAt = deps.clock.now().toISOString();
  // Both before the batch is recorded completed, neither waiting for the other: a rerun
  // writes the same cost entries again and publishes the events again.
  const written = await Promise.allSettled([
    recordCost(deps, batch, cost, costGroups),
    publishBatchEvents(deps, batch, { counts, cost }, retryBatchId, completedAt),
  ]);
  for (const write of written) if (write.status === 'rejected') throw write.reason;
  await checkpoints.write({
    state: 'completed',
    counts,
    completedAt,
    nextPollAt: null,
    completionLeaseUntil: null,
  });
  // Neither fails the run, nor waits for the other.
  await Promise.all([
    recordTurnaround(
      deps,
      batch,
      completedAt,
      batch.checkpoint === null ? progress.firstDeliveredAt : null,
    ),
    deleteProviderArtifacts(deps, batch),
  ]);
  metrics.count(METRIC.BatchesDelivered, 1, { provider: batch.provider });
  // Micro-dollars: whole numbers CloudWatch sums without float drift.
  metrics.count(METRIC.CostMicroUsd, Math.round(cost.total.usd * 1e6), {
    provider: batch.provider,
  });
  metrics.count(METRIC.SavedMicroUsd, Math.round(cost.total.saved_usd * 1e6), {
    provider: batch.provider,
  });
  logger.info('batch delivered', {
    batchId,
    delivered: progress.delivered,
    skipped: progress.skipped,
    retried: table.retries.size,
    counts,
  });
  return {
    batchId,
    outcome: 'completed',
    delivered: progress.delivered,
    retried: table.retries.size,
    skipped: progress.skipped,
    counts,
    retryBatchId,
  };
};

export { finalizeCompletion };
