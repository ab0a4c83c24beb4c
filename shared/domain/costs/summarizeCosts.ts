import {
  addCostSums,
  type CostEntry,
  type CostSums,
  emptyCostSums,
  type MutableCostSums,
} from './CostEntry.js';

/** The dimensions a cost summary can group by. */
const COST_GROUPS = ['model', 'tag', 'day', 'lane', 'provider', 'source'] as const;
type CostGroup = (typeof COST_GROUPS)[number];

/** Sums of one group (or of everything, for the total). Money in integer nano-dollars. */
interface CostRow extends CostSums {
  readonly key: string;
  /** `realtimeNanoUsd - nanoUsd`: what the lane saved over realtime prices. */
  readonly savedNanoUsd: number;
}

interface CostSummary {
  readonly by: CostGroup;
  /** By day: days ascending. Otherwise: cost descending, then key ascending. */
  readonly rows: readonly CostRow[];
  /** Sums over every entry; its key is `TOTAL`. */
  readonly total: CostRow;
}

const TOTAL_KEY = 'TOTAL';

const toRow = (key: string, sums: MutableCostSums): CostRow => ({
  key,
  ...sums,
  savedNanoUsd: sums.realtimeNanoUsd - sums.nanoUsd,
});

const byKey = (a: CostRow, b: CostRow): number => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/** Groups entries as they come, so a stream of any length needs memory per group only. */
class CostAccumulator {
  readonly #by: CostGroup;
  readonly #groups = new Map<string, MutableCostSums>();
  readonly #total = emptyCostSums();

  constructor(by: CostGroup) {
    this.#by = by;
  }

  add(entry: CostEntry): void {
    const key = entry[this.#by];
    let sums = this.#groups.get(key);
    if (sums === undefined) {
      sums = emptyCostSums();
      this.#groups.set(key, sums);
    }
    addCostSums(sums, entry);
    addCostSums(this.#total, entry);
  }

  summary(): CostSummary {
    const rows = [...this.#groups].map(([key, sums]) => toRow(key, sums));
    rows.sort(this.#by === 'day' ? byKey : (a, b) => b.nanoUsd - a.nanoUsd || byKey(a, b));
    return { by: this.#by, rows, total: toRow(TOTAL_KEY, this.#total) };
  }
}

/**
 * Sums entries per `by` group, plus a total. Money stays in integer nano-dollars, exact as
 * long as a sum stays below 2^53 nano-dollars (about 9 million USD).
 */
const summarizeCosts = (entries: Iterable<CostEntry>, by: CostGroup): CostSummary => {
  const accumulator = new CostAccumulator(by);
  for (const entry of entries) accumulator.add(entry);
  return accumulator.summary();
};

/** {@link summarizeCosts} over a stream (such as `CostLedger.entries`), without buffering it. */
const summarizeCostStream = async (
  entries: AsyncIterable<CostEntry>,
  by: CostGroup,
): Promise<CostSummary> => {
  const accumulator = new CostAccumulator(by);
  for await (const entry of entries) accumulator.add(entry);
  return accumulator.summary();
};

/** What the entries cost in total, in nano-dollars. */
const spendNanoUsd = (entries: Iterable<CostEntry>): number => {
  let total = 0;
  for (const entry of entries) total += entry.nanoUsd;
  return total;
};

const isCostGroup = (value: string): value is CostGroup =>
  (COST_GROUPS as readonly string[]).includes(value);

export {
  COST_GROUPS,
  type CostGroup,
  type CostRow,
  type CostSummary,
  isCostGroup,
  spendNanoUsd,
  summarizeCostStream,
  summarizeCosts,
  TOTAL_KEY,
};
