import type { CostEntry, CostRange } from '../domain/costs/CostEntry.js';
import {
  type StatusSettings,
  type StatusSnapshot,
  summarizeStatus,
} from '../domain/status/summarizeStatus.js';
import type { Clock } from '../ports/Clock.js';
import type { StatusReader } from '../ports/StatusReader.js';

/** Parked objects read per status; more are reported as a lower bound. */
const PARKED_LIMIT = 1_000;
const DAY_MS = 86_400_000;

interface ReadStatusOptions {
  readonly reader: StatusReader;
  readonly clock: Clock;
  readonly settings: StatusSettings;
  /** UTC days of costs and completed batches to show, today included (default 2). */
  readonly days?: number;
}

const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** Ledger sources that are batches (`req:<id>` sources are requests served outside one). */
const batchSources = (costs: readonly CostEntry[]): string[] => [
  ...new Set(costs.map((c) => c.source).filter((source) => !source.startsWith('req:'))),
];

/**
 * Reads what a deployment is doing and summarizes it: the active batches, the last `days`
 * days' costs and the batches they name, the parked results and the intake queue. Reads only.
 */
const readStatus = async (options: ReadStatusOptions): Promise<StatusSnapshot> => {
  const { reader, clock, settings } = options;
  const now = clock.now();
  const days = Math.max(1, options.days ?? 2);
  const range: CostRange = {
    since: utcDay(now.getTime() - (days - 1) * DAY_MS),
    until: utcDay(now.getTime()),
  };
  const readCosts = async (): Promise<CostEntry[]> => {
    const entries: CostEntry[] = [];
    for await (const entry of reader.costEntries(range)) entries.push(entry);
    return entries;
  };
  const [active, costs, parked, intake] = await Promise.all([
    reader.activeBatches(),
    readCosts(),
    reader.parkedResults(PARKED_LIMIT + 1),
    reader.intakeDepth(),
  ]);
  const activeIds = new Set(active.map((b) => b.batchId));
  const recent = await reader.batches(batchSources(costs).filter((id) => !activeIds.has(id)));
  return summarizeStatus({
    now,
    range,
    active,
    recent,
    costs,
    parked: parked.slice(0, PARKED_LIMIT),
    parkedTruncated: parked.length > PARKED_LIMIT,
    intake,
    settings,
  });
};

export { type ReadStatusOptions, readStatus };
