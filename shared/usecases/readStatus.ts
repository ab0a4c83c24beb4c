import type { ProviderName } from '../contract/providers.js';
import type { CostEntry, CostRange } from '../domain/costs/CostEntry.js';
import {
  type StatusSettings,
  type StatusSnapshot,
  summarizeStatus,
  turnaroundStatsKey,
} from '../domain/status/summarizeStatus.js';
import { type TurnaroundStats, turnaroundModelOf } from '../domain/turnaround.js';
import type { Clock } from '../ports/Clock.js';
import type { BatchFacts, StatusReader } from '../ports/StatusReader.js';
import type { TurnaroundLog } from '../ports/TurnaroundLog.js';

/** Parked objects read per status; more are reported as a lower bound. */
const PARKED_LIMIT = 1_000;
const DAY_MS = 86_400_000;

interface ReadStatusOptions {
  readonly reader: StatusReader;
  readonly clock: Clock;
  readonly settings: StatusSettings;
  /** UTC days of costs and completed batches to show, today included (default 2). */
  readonly days?: number;
  /**
   * Completed batches already read, by id, kept between reads by a caller that reads again
   * (`--watch`, the page): a completed batch no longer changes, so it is read once.
   */
  readonly completed?: Map<string, BatchFacts>;
  /** The deployment's turnaround log: open batches' expected ends come from it. */
  readonly turnarounds?: TurnaroundLog;
}

/**
 * The turnaround log's distribution for each provider and model among the open batches: one
 * read per pair, not per batch.
 */
const readTurnaroundStats = async (
  log: TurnaroundLog,
  open: readonly BatchFacts[],
): Promise<Map<string, TurnaroundStats>> => {
  const pairs = new Map<string, { provider: ProviderName; model: string }>();
  for (const batch of open) {
    pairs.set(turnaroundStatsKey(batch.provider, batch.models), {
      provider: batch.provider,
      model: turnaroundModelOf(batch.models),
    });
  }
  const stats = new Map<string, TurnaroundStats>();
  await Promise.all(
    [...pairs].map(async ([key, { provider, model }]) => {
      const found = await log.turnaroundOf(provider, model);
      if (found !== null) stats.set(key, found);
    }),
  );
  return stats;
};

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
  const named = batchSources(costs).filter((id) => !activeIds.has(id));
  const known = options.completed ?? new Map<string, BatchFacts>();
  const fetched = await reader.batches(named.filter((id) => !known.has(id)));
  for (const batch of fetched) if (batch.state === 'completed') known.set(batch.batchId, batch);
  // Batches out of the range are let go, so the map stays the size of what is shown.
  const namedIds = new Set(named);
  for (const id of known.keys()) if (!namedIds.has(id)) known.delete(id);
  const recent = [
    ...fetched.filter((b) => b.state !== 'completed'),
    ...named.flatMap((id) => {
      const batch = known.get(id);
      return batch === undefined ? [] : [batch];
    }),
  ];
  const turnaroundStats =
    options.turnarounds === undefined
      ? undefined
      : await readTurnaroundStats(options.turnarounds, active);
  return summarizeStatus({
    ...(turnaroundStats === undefined ? {} : { turnaroundStats }),
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
