/** How a request was served: through a provider batch, a flex tier, or at realtime prices. */
const COST_LANES = ['batch', 'flex', 'realtime'] as const;
type CostLane = (typeof COST_LANES)[number];

/**
 * What one source cost on one day, for one provider, model, lane and tag. Entries are
 * immutable: the same key always carries the full values (never an increment), so writing an
 * entry again after a crash changes nothing.
 */
interface CostEntry {
  /** `YYYY-MM-DD` (UTC) the cost was incurred. */
  readonly day: string;
  /** batchlane batch id, or `req:<custom_id>` for requests served outside a batch. */
  readonly source: string;
  readonly provider: string;
  readonly model: string;
  readonly lane: CostLane;
  /** Caller-chosen tag, `''` when none. */
  readonly tag: string;
  readonly requests: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadTokens: number;
  readonly cacheWriteTokens: number;
  /** What it cost, in exact integer nano-dollars (1e-9 USD). */
  readonly nanoUsd: number;
  /** What the same usage costs at standard realtime prices, in nano-dollars. */
  readonly realtimeNanoUsd: number;
}

/** Days `since` to `until`, both inclusive, as `YYYY-MM-DD` (UTC). */
interface CostRange {
  readonly since: string;
  readonly until: string;
}

/** Where costs are kept, and read back for reports and budgets. */
interface CostLedger {
  /**
   * Stores entries, replacing any entry with the same (day, source, provider, model, lane,
   * tag). Safe to repeat. Throws `InvalidInputError` before writing anything if one entry is
   * malformed.
   */
  record(entries: readonly CostEntry[]): Promise<void>;
  /** Every entry of the days in the range, day by day in ascending order. */
  entries(range: CostRange): AsyncIterable<CostEntry>;
}

export { COST_LANES, type CostEntry, type CostLane, type CostLedger, type CostRange };
