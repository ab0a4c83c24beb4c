import type { BatchCost } from '../contract/events.js';
import { addCostSums, emptyCostSums, type MutableCostSums } from './costs/CostEntry.js';
import type { ItemCost } from './records.js';

/** Item costs summed per (day, model, tag): one ledger entry each. */
interface CostGroup extends MutableCostSums {
  readonly day: string;
  readonly model: string;
  readonly tag: string;
}

const usd = (nano: number): number => Math.round(nano) / 1e9;

/**
 * Sums what a batch's delivered members cost, from the records kept with each delivery:
 * exact nano-dollar integers, so the batch total is the sum of its results to the cent.
 */
const sumItemCosts = (
  costs: Iterable<ItemCost>,
): { readonly total: BatchCost; readonly groups: readonly CostGroup[] } => {
  const groups = new Map<string, CostGroup>();
  for (const cost of costs) {
    const key = JSON.stringify([cost.day, cost.model, cost.tag]);
    let group = groups.get(key);
    if (group === undefined) {
      group = { day: cost.day, model: cost.model, tag: cost.tag, ...emptyCostSums() };
      groups.set(key, group);
    }
    addCostSums(group, cost);
  }
  const all = [...groups.values()];
  const sum = (pick: (g: CostGroup) => number): number => all.reduce((n, g) => n + pick(g), 0);
  const byModel: Record<string, { requests: number; usd: number; realtime_usd: number }> = {};
  const modelNano = new Map<string, { requests: number; nano: number; realtime: number }>();
  for (const group of all) {
    const entry = modelNano.get(group.model) ?? { requests: 0, nano: 0, realtime: 0 };
    entry.requests += group.requests;
    entry.nano += group.nanoUsd;
    entry.realtime += group.realtimeNanoUsd;
    modelNano.set(group.model, entry);
  }
  for (const [model, entry] of modelNano) {
    byModel[model] = {
      requests: entry.requests,
      usd: usd(entry.nano),
      realtime_usd: usd(entry.realtime),
    };
  }
  const nano = sum((g) => g.nanoUsd);
  const realtime = sum((g) => g.realtimeNanoUsd);
  return {
    total: {
      usd: usd(nano),
      realtime_usd: usd(realtime),
      saved_usd: usd(realtime - nano),
      input_tokens: sum((g) => g.inputTokens),
      output_tokens: sum((g) => g.outputTokens),
      cache_read_input_tokens: sum((g) => g.cacheReadTokens),
      cache_creation_input_tokens: sum((g) => g.cacheWriteTokens),
      by_model: byModel,
    },
    groups: all,
  };
};

export { type CostGroup, sumItemCosts };
