import { costEntryProblem, costItemKey } from '../../../shared/adapters/aws/DynamoDbCostLedger.js';
import type { CostEntry, CostRange } from '../../../shared/domain/costs/CostEntry.js';
import { InvalidInputError } from '../../../shared/domain/errors.js';
import type { CostLedger } from '../../../shared/ports/CostLedger.js';

const DAY_MS = 86_400_000;
const COUNTS = [
  'requests',
  'inputTokens',
  'outputTokens',
  'cacheReadTokens',
  'cacheWriteTokens',
  'nanoUsd',
  'realtimeNanoUsd',
] as const;

const dayStartMs = (day: string): number | null => {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return null;
  const ms = Date.parse(`${day}T00:00:00Z`);
  return Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== day ? null : ms;
};

/**
 * {@link CostLedger} in memory. Entries are checked with the DynamoDB ledger's own rule
 * ({@link costEntryProblem}: the same refusals, the key-size one included) and keyed by its
 * item key, so what collides there collides here and nothing else does; a day's entries come
 * back in that key's byte order, as a DynamoDB query returns them.
 */
class InMemoryCostLedger implements CostLedger {
  /** Day → item sort key → entry. */
  readonly #days = new Map<string, Map<string, CostEntry>>();

  async record(entries: readonly CostEntry[]): Promise<void> {
    const checked = new Map<string, CostEntry>();
    for (const entry of entries) {
      const problem = costEntryProblem(entry);
      if (problem !== null) {
        throw new InvalidInputError(`cost entry not recorded: ${problem}`, {
          code: 'invalid_cost_entry',
          details: { day: entry.day, source: entry.source, model: entry.model },
        });
      }
      const { sk } = costItemKey(entry);
      const earlier = checked.get(`${entry.day}/${sk}`);
      if (earlier !== undefined && COUNTS.some((name) => earlier[name] !== entry[name])) {
        throw new InvalidInputError(`two different cost entries for ${entry.day}/${sk}`, {
          code: 'invalid_cost_entry',
          details: { day: entry.day, sk },
        });
      }
      checked.set(`${entry.day}/${sk}`, entry);
    }
    for (const entry of checked.values()) {
      const day = this.#days.get(entry.day) ?? new Map<string, CostEntry>();
      day.set(costItemKey(entry).sk, { ...entry });
      this.#days.set(entry.day, day);
    }
  }

  async *entries(range: CostRange): AsyncIterable<CostEntry> {
    const sinceMs = dayStartMs(range.since);
    const untilMs = dayStartMs(range.until);
    if (sinceMs === null || untilMs === null || sinceMs > untilMs) {
      throw new InvalidInputError(
        `cost range ${range.since} to ${range.until} is not two YYYY-MM-DD days in order`,
        { code: 'invalid_range', details: { ...range } },
      );
    }
    for (let ms = sinceMs; ms <= untilMs; ms += DAY_MS) {
      const day = this.#days.get(new Date(ms).toISOString().slice(0, 10));
      if (day === undefined) continue;
      const keys = [...day.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
      for (const key of keys) yield { ...(day.get(key) as CostEntry) };
    }
  }
}

export { InMemoryCostLedger };
