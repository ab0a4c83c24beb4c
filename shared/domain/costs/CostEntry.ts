/** How a request was served: through a provider batch, a flex tier, or at realtime prices. */
const COST_LANES = ['batch', 'flex', 'off_peak', 'realtime'] as const;
type CostLane = (typeof COST_LANES)[number];

/** Counts and money that add up across requests. Money in exact integer nano-dollars (1e-9 USD). */
interface CostSums {
  readonly requests: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadTokens: number;
  readonly cacheWriteTokens: number;
  /** What it cost, in nano-dollars. */
  readonly nanoUsd: number;
  /** What the same usage costs at standard realtime prices, in nano-dollars. */
  readonly realtimeNanoUsd: number;
}

/**
 * What one source cost on one day, for one provider, model, lane and tag. Entries are
 * immutable: the same key always carries the full values (never an increment), so writing an
 * entry again after a crash changes nothing.
 */
interface CostEntry extends CostSums {
  /** `YYYY-MM-DD` (UTC) the cost was incurred. */
  readonly day: string;
  /** batchlane batch id, or `req:<custom_id>` for requests served outside a batch. */
  readonly source: string;
  readonly provider: string;
  readonly model: string;
  readonly lane: CostLane;
  /** Caller-chosen tag, `''` when none. */
  readonly tag: string;
}

/** Days `since` to `until`, both inclusive, as `YYYY-MM-DD` (UTC). */
interface CostRange {
  readonly since: string;
  readonly until: string;
}

type MutableCostSums = { -readonly [K in keyof CostSums]: number };

const emptyCostSums = (): MutableCostSums => ({
  requests: 0,
  inputTokens: 0,
  outputTokens: 0,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  nanoUsd: 0,
  realtimeNanoUsd: 0,
});

/** Adds `cost` into `sums`; `requests` counts one when `cost` has none of its own (one item). */
const addCostSums = (
  sums: MutableCostSums,
  cost: Omit<CostSums, 'requests'> & { readonly requests?: number },
): void => {
  sums.requests += cost.requests ?? 1;
  sums.inputTokens += cost.inputTokens;
  sums.outputTokens += cost.outputTokens;
  sums.cacheReadTokens += cost.cacheReadTokens;
  sums.cacheWriteTokens += cost.cacheWriteTokens;
  sums.nanoUsd += cost.nanoUsd;
  sums.realtimeNanoUsd += cost.realtimeNanoUsd;
};

export {
  addCostSums,
  COST_LANES,
  type CostEntry,
  type CostLane,
  type CostRange,
  type CostSums,
  emptyCostSums,
  type MutableCostSums,
};
