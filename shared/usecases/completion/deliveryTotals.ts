import type { StatusCounts } from '../../contract/events.js';
import type { ResultStatus } from '../../contract/result.js';
import { addCostSums } from '../../domain/costs/CostEntry.js';
import type { DeliveryCheckpoint, ItemCost } from '../../domain/records.js';

/** A delivered (or parked) result: what the batch's counts and cost add up. */
interface DeliveredOutcome {
  readonly providerCustomId: string;
  readonly status: ResultStatus;
  readonly deliveredAt: string;
  readonly cost: ItemCost;
}

/** A cost group as the checkpoint carries it: an `ItemCost` summed over `requests` results. */
type CostSum = ItemCost & { requests: number };

/** What the deliveries so far counted and cost. */
interface DeliveryTotals {
  readonly counts: StatusCounts;
  readonly costs: Map<string, CostSum>;
}

const zeroCounts = (): StatusCounts => ({
  succeeded: 0,
  errored: 0,
  expired: 0,
  canceled: 0,
  rejected: 0,
  retried: 0,
});

const costGroupKey = (cost: Pick<ItemCost, 'day' | 'model' | 'tag'>): string =>
  JSON.stringify([cost.day, cost.model, cost.tag]);

/** The totals a checkpoint carries (none before the first, or on an older record). */
const totalsOf = (checkpoint: DeliveryCheckpoint | null): DeliveryTotals => ({
  counts: { ...zeroCounts(), ...(checkpoint?.counts ?? {}) },
  costs: new Map((checkpoint?.costs ?? []).map((c) => [costGroupKey(c), { ...c }])),
});

/** Adds one result's cost to its (day, model, tag) group. */
const addCost = (costs: Map<string, CostSum>, cost: ItemCost): void => {
  const key = costGroupKey(cost);
  const sum = costs.get(key);
  if (sum === undefined) costs.set(key, { ...cost, requests: 1 });
  else addCostSums(sum, cost);
};

const addTotals = (totals: DeliveryTotals, delivered: readonly DeliveredOutcome[]): void => {
  for (const { status, cost } of delivered) {
    totals.counts[status] += 1;
    addCost(totals.costs, cost);
  }
};

/** A copy of the totals as a checkpoint carries them (later deliveries do not change it). */
const checkpointTotals = (
  totals: DeliveryTotals,
): Pick<DeliveryCheckpoint, 'counts' | 'costs'> => ({
  counts: { ...totals.counts },
  costs: [...totals.costs.values()].map((c) => ({ ...c })),
});

export {
  addCost,
  addTotals,
  type CostSum,
  checkpointTotals,
  type DeliveredOutcome,
  type DeliveryTotals,
  totalsOf,
  zeroCounts,
};
