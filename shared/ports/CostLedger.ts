import type { CostEntry, CostRange } from '../domain/costs/CostEntry.js';

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

export type { CostLedger };
