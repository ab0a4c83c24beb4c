import type { BatchItem, DeliveryCheckpoint } from '../../domain/records.js';
import type { BatchMembers } from '../../ports/BatchMembers.js';
import type { Clock } from '../../ports/Clock.js';
import type { DeliveryOutcome } from './deliverOutcomes.js';
import { addTotals, type DeliveryTotals, totalsOf } from './deliveryTotals.js';
import type { MemberTable } from './loadMemberTable.js';
import { MemberIdSet } from './MemberIdSet.js';

/** What a completion run has done so far: passed from stage to stage, never kept between runs. */
interface RunProgress {
  /** Counts and costs of what the results delivered, carried by the checkpoint. */
  readonly totals: DeliveryTotals;
  /** Members the results answered, wherever this run started. */
  readonly answered: MemberIdSet;
  delivered: number;
  skipped: number;
  failed: number;
  /**
   * The batch's first delivery, when this run made it (a run resuming at a checkpoint did
   * not: the first is then unknown). Kept for the turnaround record.
   */
  firstDeliveredAt: string | null;
}

/** A run's progress as it starts from `checkpoint`: the totals it carries, nothing else. */
const progressFrom = (checkpoint: DeliveryCheckpoint | null): RunProgress => ({
  // What the results before the checkpoint delivered, counted once: carried from run to run
  // in the checkpoint, never recounted from the results.
  totals: totalsOf(checkpoint),
  answered: new MemberIdSet(),
  delivered: 0,
  skipped: 0,
  failed: 0,
  firstDeliveredAt: null,
});

type SettleDeps = {
  readonly store: Pick<BatchMembers, 'markForRetry' | 'markUndelivered' | 'recordDeliveries'>;
  readonly clock: Clock;
};

/**
 * Records members to send again (`retry_at`) before the checkpoint can pass their results: the
 * exceptions of a chunk. They join the run's table at once, so a later chunk classified while
 * the write is on its way sees them (a run whose write fails drops its table).
 */
const recordRetries = async (
  deps: SettleDeps,
  batchId: string,
  table: MemberTable,
  toRetry: readonly BatchItem[],
): Promise<void> => {
  if (toRetry.length === 0) return;
  for (const item of toRetry) table.retries.set(item.providerCustomId, item);
  await deps.store.markForRetry(
    batchId,
    toRetry.map((item) => item.providerCustomId),
    deps.clock.now().toISOString(),
  );
};

/**
 * Counts what a delivery call did. A member with an exception item (its result was not
 * taken once) has its delivery recorded there; the others are counted into the totals the
 * next checkpoint carries. Results a destination did not take become exceptions before the
 * checkpoint can pass them, so a later run delivers them again.
 */
const settleDeliveries = async (
  deps: SettleDeps,
  batchId: string,
  table: MemberTable,
  progress: RunProgress,
  outcome: DeliveryOutcome,
): Promise<void> => {
  const { owed } = table;
  const late = outcome.delivered.filter((d) => owed.has(d.providerCustomId));
  if (late.length > 0) {
    await deps.store.recordDeliveries(batchId, late);
    for (const d of late) owed.delete(d.providerCustomId);
  }
  addTotals(
    progress.totals,
    outcome.delivered.filter((d) => !late.includes(d)),
  );
  const newlyFailed = outcome.failed.filter((id) => !owed.has(id));
  if (newlyFailed.length > 0) {
    await deps.store.markUndelivered(batchId, newlyFailed, deps.clock.now().toISOString());
    for (const id of newlyFailed) owed.add(id);
    table.exceptionIds.push(...newlyFailed);
  }
  progress.delivered += outcome.delivered.length;
  progress.failed += outcome.failed.length;
  progress.firstDeliveredAt ??= outcome.delivered[0]?.deliveredAt ?? null;
};

export { progressFrom, type RunProgress, recordRetries, type SettleDeps, settleDeliveries };
