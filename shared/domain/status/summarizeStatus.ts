import { COUNT_KEYS } from '../../contract/events.js';
import { BUILT_IN_REGISTRY, type ProviderRegistry } from '../../contract/providerRegistry.js';
import type { ProviderName } from '../../contract/providers.js';
import { COST_LANES, type CostEntry, type CostRange } from '../costs/CostEntry.js';
import { BATCH_STATES, type BatchState } from '../records.js';
import { type TurnaroundStats, turnaroundModelOf } from '../turnaround.js';
import type { BatchFacts, IntakeDepth, ParkedObject } from './statusFacts.js';

/** What the deployment is configured with, where the reader knows it (null: unknown). */
interface StatusSettings {
  /** The deployment's cap on requests per batch, below the provider's own. */
  readonly maxRequestsPerBatch: number | null;
  /** How long a batch fills before it is sealed. */
  readonly batchMaxAgeSeconds: number | null;
  /** The providers the deployment knows (absent: the built-in ones). */
  readonly registry?: ProviderRegistry;
}

interface StatusInputs {
  readonly now: Date;
  readonly range: CostRange;
  readonly active: readonly BatchFacts[];
  /** Batches named by the range's cost entries (completed ones among them). */
  readonly recent: readonly BatchFacts[];
  readonly costs: readonly CostEntry[];
  readonly parked: readonly ParkedObject[];
  /** Whether more parked objects exist than were read. */
  readonly parkedTruncated: boolean;
  readonly intake: IntakeDepth | null;
  readonly settings: StatusSettings;
  /**
   * The turnaround log's distributions per provider and model (`turnaroundStatsKey`), when the
   * deployment keeps one: open batches' expected ends then come from it alone. Absent: from
   * the batches on record.
   */
  readonly turnaroundStats?: ReadonlyMap<string, TurnaroundStats>;
}

/** The key of a provider and model's distribution in `StatusInputs.turnaroundStats`. */
const turnaroundStatsKey = (provider: ProviderName, models: readonly string[]): string =>
  `${provider}#${turnaroundModelOf(models)}`;

/** One batch as the page's table shows it. */
interface BatchRow {
  readonly batch_id: string;
  readonly provider: ProviderName;
  readonly models: readonly string[];
  readonly state: BatchState;
  readonly requests: number;
  /** Most requests the batch may hold (the deployment's cap, else the provider's limit). */
  readonly capacity: number;
  /** `requests / capacity`, 0 to 1. */
  readonly fill: number;
  readonly age_seconds: number;
  readonly created_at: string;
  readonly submitted_at: string | null;
  readonly ended_at: string | null;
  readonly completed_at: string | null;
  /** When the batch is expected to end at the provider; null when there is nothing to go by. */
  readonly expected_end: string | null;
  /** What `expected_end` is based on. */
  readonly expected_end_basis: string | null;
  readonly counts: Readonly<Record<string, number>> | null;
  readonly last_error: string | null;
}

interface MoneyPoint {
  readonly at: string;
  readonly cost_usd: number;
  readonly realtime_usd: number;
  readonly saved_usd: number;
}

/** Costs with no time but their day: in the totals, not on the chart's time axis. */
interface UntimedCosts {
  readonly requests: number;
  readonly cost_usd: number;
  readonly realtime_usd: number;
  readonly saved_usd: number;
}

interface ProviderTurnaround {
  readonly provider: ProviderName;
  readonly batches: number;
  /** From submission to the provider's end of the batch, in seconds. */
  readonly median_seconds: number;
  readonly p90_seconds: number;
  readonly max_seconds: number;
}

interface ParkedPrefix {
  /** What `batchlane replay --prefix` takes to send these again. */
  readonly prefix: string;
  readonly destination_type: string;
  readonly objects: number;
  readonly bytes: number;
  readonly oldest: string | null;
}

/** Everything the status page and `batchlane status` show: the JSON API's body. */
interface StatusSnapshot {
  readonly generated_at: string;
  readonly range: CostRange;
  /** Active batches (oldest first), then the range's completed batches (latest first). */
  readonly batches: readonly BatchRow[];
  /** Batches per provider and state; every provider and state is present. */
  readonly batches_by_state: Readonly<Record<ProviderName, Readonly<Record<BatchState, number>>>>;
  /** The intake queue: delayed messages are requests held by admission. Null: not read. */
  readonly intake: {
    readonly waiting: number;
    readonly held: number;
    readonly in_flight: number;
  } | null;
  readonly results: {
    /** Members per outcome, summed over the batches shown. */
    readonly by_status: Readonly<Record<string, number>>;
    /** Requests with a recorded cost, per lane, over the range. */
    readonly by_lane: Readonly<Record<string, number>>;
  };
  readonly costs: {
    readonly cost_usd: number;
    readonly realtime_usd: number;
    readonly saved_usd: number;
    /** Cumulative over the range: one point per batch, at the time it ended. */
    readonly series: readonly MoneyPoint[];
    /** Costs known only by their day (requests served outside a batch), in the totals above. */
    readonly untimed: UntimedCosts;
  };
  readonly turnaround: {
    /** Where the figures come from: the batch records' submission and end times. */
    readonly source: 'batch records';
    readonly providers: readonly ProviderTurnaround[];
  };
  readonly parked: {
    readonly objects: number;
    readonly bytes: number;
    /** More objects are parked than were read; the figures are a lower bound. */
    readonly truncated: boolean;
    readonly prefixes: readonly ParkedPrefix[];
  };
}

const NANO_PER_USD = 1e9;
/** Completed batches listed after the active ones. */
const RECENT_ROWS = 25;

const secondsBetween = (from: string, to: string | Date): number =>
  Math.max(0, ((typeof to === 'string' ? Date.parse(to) : to.getTime()) - Date.parse(from)) / 1000);

const usd = (nano: number): number => Math.round(nano) / NANO_PER_USD;

/** The value at quantile `q` (0 to 1) of sorted numbers, nearest rank. */
const quantile = (sorted: readonly number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;

const capacityOf = (provider: ProviderName, settings: StatusSettings): number => {
  const registry = settings.registry ?? BUILT_IN_REGISTRY;
  const limit = registry.has(provider)
    ? registry.limitsOf(provider).maxRequests
    : Number.POSITIVE_INFINITY;
  const capped = Math.min(limit, settings.maxRequestsPerBatch ?? limit);
  return Number.isFinite(capped) ? capped : 0;
};

/** Provider turnaround (submitted → ended) of every batch that has both times. */
const turnaroundOf = (
  providers: readonly ProviderName[],
  batches: readonly BatchFacts[],
): ProviderTurnaround[] =>
  providers.flatMap((provider) => {
    const seconds = batches
      .filter((b) => b.provider === provider && b.submittedAt !== null && b.endedAt !== null)
      .map((b) => secondsBetween(b.submittedAt ?? '', b.endedAt ?? ''))
      .sort((a, b) => a - b);
    if (seconds.length === 0) return [];
    return [
      {
        provider,
        batches: seconds.length,
        median_seconds: quantile(seconds, 0.5),
        p90_seconds: quantile(seconds, 0.9),
        max_seconds: seconds.at(-1) ?? 0,
      },
    ];
  });

const addSeconds = (iso: string, seconds: number): string =>
  new Date(Date.parse(iso) + seconds * 1000).toISOString();

/**
 * When a batch should end at the provider: from when it was (or will be) submitted plus the
 * provider's median turnaround seen so far; without history, the provider's own deadline.
 */
const expectedEndOf = (
  batch: BatchFacts,
  turnaround: ReadonlyMap<ProviderName, ProviderTurnaround>,
  settings: StatusSettings,
  logged: ReadonlyMap<string, TurnaroundStats> | undefined,
): { at: string | null; basis: string | null } => {
  if (batch.endedAt !== null) return { at: batch.endedAt, basis: 'ended' };
  const filling = batch.state === 'filling' || batch.state === 'sealing' || batch.state === 'open';
  const submitFrom =
    batch.submittedAt ??
    (filling && settings.batchMaxAgeSeconds !== null
      ? addSeconds(batch.createdAt, settings.batchMaxAgeSeconds)
      : null);
  const stats = logged?.get(turnaroundStatsKey(batch.provider, batch.models));
  if (stats !== undefined && submitFrom !== null) {
    return {
      at: addSeconds(submitFrom, stats.p50Ms / 1000),
      basis: `p50 turnaround of ${stats.batches} ${batch.provider} ${stats.model} batch${stats.batches === 1 ? '' : 'es'} (turnaround log)`,
    };
  }
  // A deployment with a turnaround log: its history is the only one trusted.
  const seen = logged === undefined ? turnaround.get(batch.provider) : undefined;
  if (seen !== undefined && submitFrom !== null) {
    return {
      at: addSeconds(submitFrom, seen.median_seconds),
      basis: `median turnaround of ${seen.batches} ${batch.provider} batch${seen.batches === 1 ? '' : 'es'}`,
    };
  }
  if (batch.providerExpiresAt !== null) {
    return { at: batch.providerExpiresAt, basis: 'provider deadline' };
  }
  return { at: null, basis: null };
};

const rowOf = (
  batch: BatchFacts,
  now: Date,
  turnaround: ReadonlyMap<ProviderName, ProviderTurnaround>,
  settings: StatusSettings,
  logged: ReadonlyMap<string, TurnaroundStats> | undefined,
): BatchRow => {
  const capacity = capacityOf(batch.provider, settings);
  const expected = expectedEndOf(batch, turnaround, settings, logged);
  return {
    batch_id: batch.batchId,
    provider: batch.provider,
    models: batch.models,
    state: batch.state,
    requests: batch.requestCount,
    capacity,
    fill: capacity === 0 ? 0 : Math.min(1, batch.requestCount / capacity),
    age_seconds: Math.round(secondsBetween(batch.createdAt, batch.completedAt ?? now)),
    created_at: batch.createdAt,
    submitted_at: batch.submittedAt,
    ended_at: batch.endedAt,
    completed_at: batch.completedAt,
    expected_end: expected.at,
    expected_end_basis: expected.basis,
    counts: batch.counts,
    last_error: batch.lastError,
  };
};

const emptyStates = (): Record<BatchState, number> =>
  Object.fromEntries(BATCH_STATES.map((s) => [s, 0])) as Record<BatchState, number>;

/**
 * The cumulative money series: each batch's cost at the time it ended (else completed), in
 * order. Costs the ledger knows only by day (requests served outside a batch, batches no
 * longer on record) have no time to be drawn at: they are summed apart.
 */
const moneySeries = (
  costs: readonly CostEntry[],
  batchesById: ReadonlyMap<string, BatchFacts>,
): { series: MoneyPoint[]; untimed: UntimedCosts } => {
  const bySource = new Map<string, { at: string; nano: number; realtime: number }>();
  const untimed = { requests: 0, nano: 0, realtime: 0 };
  for (const entry of costs) {
    const batch = batchesById.get(entry.source);
    const at = batch?.endedAt ?? batch?.completedAt ?? null;
    if (at === null) {
      untimed.requests += entry.requests;
      untimed.nano += entry.nanoUsd;
      untimed.realtime += entry.realtimeNanoUsd;
      continue;
    }
    const point = bySource.get(entry.source) ?? { at, nano: 0, realtime: 0 };
    point.nano += entry.nanoUsd;
    point.realtime += entry.realtimeNanoUsd;
    bySource.set(entry.source, point);
  }
  let nano = 0;
  let realtime = 0;
  const series = [...bySource.values()]
    .sort((a, b) => a.at.localeCompare(b.at))
    .map((point) => {
      nano += point.nano;
      realtime += point.realtime;
      return {
        at: point.at,
        cost_usd: usd(nano),
        realtime_usd: usd(realtime),
        saved_usd: usd(realtime - nano),
      };
    });
  return {
    series,
    untimed: {
      requests: untimed.requests,
      cost_usd: usd(untimed.nano),
      realtime_usd: usd(untimed.realtime),
      saved_usd: usd(untimed.realtime - untimed.nano),
    },
  };
};

/** `parked/<type>/<hash>/<batch>/<part>.jsonl` → `parked/<type>/<hash>/`. */
const replayPrefixOf = (key: string): string => key.split('/').slice(0, 3).join('/').concat('/');

const parkedPrefixes = (parked: readonly ParkedObject[]): ParkedPrefix[] => {
  const byPrefix = new Map<string, ParkedPrefix>();
  for (const object of parked) {
    const prefix = replayPrefixOf(object.key);
    const seen = byPrefix.get(prefix);
    const oldest =
      seen?.oldest == null || (object.lastModified !== null && object.lastModified < seen.oldest)
        ? object.lastModified
        : seen.oldest;
    byPrefix.set(prefix, {
      prefix,
      destination_type: object.destinationType,
      objects: (seen?.objects ?? 0) + 1,
      bytes: (seen?.bytes ?? 0) + object.bytes,
      oldest,
    });
  }
  return [...byPrefix.values()].sort((a, b) => (a.oldest ?? '').localeCompare(b.oldest ?? ''));
};

/**
 * What a deployment is doing, from what its state table, bucket and intake queue hold: the
 * batches by provider and state with their fill, age and expected end; the requests admission
 * holds; results by outcome and lane; costs, their realtime price and the savings over time;
 * turnaround per provider; parked results.
 */
const summarizeStatus = (inputs: StatusInputs): StatusSnapshot => {
  const { now, settings } = inputs;
  const batchesById = new Map<string, BatchFacts>();
  for (const batch of [...inputs.recent, ...inputs.active]) batchesById.set(batch.batchId, batch);
  const all = [...batchesById.values()];
  // The deployment's providers, and any a batch on record names (a profile since removed).
  const known = (settings.registry ?? BUILT_IN_REGISTRY).ids;
  const providers = [...new Set([...known, ...all.map((batch) => batch.provider)])];
  // Turnaround per provider as the batches on record show it; open batches' expected ends come
  // from the turnaround log where the deployment keeps one.
  const turnaround = turnaroundOf(providers, all);
  const turnaroundBy = new Map(turnaround.map((t) => [t.provider, t]));

  const active = all
    .filter((b) => b.state !== 'completed')
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  const completed = all
    .filter((b) => b.state === 'completed')
    .sort((a, b) => (b.completedAt ?? '').localeCompare(a.completedAt ?? ''));

  const byState = Object.fromEntries(providers.map((p) => [p, emptyStates()])) as Record<
    ProviderName,
    Record<BatchState, number>
  >;
  for (const batch of all) {
    const states = byState[batch.provider];
    if (states !== undefined && batch.state in states) states[batch.state] += 1;
  }

  const byStatus: Record<string, number> = Object.fromEntries(COUNT_KEYS.map((k) => [k, 0]));
  for (const batch of all) {
    for (const key of COUNT_KEYS) byStatus[key] = (byStatus[key] ?? 0) + (batch.counts?.[key] ?? 0);
  }
  const byLane: Record<string, number> = Object.fromEntries(COST_LANES.map((l) => [l, 0]));
  let nano = 0;
  let realtime = 0;
  const money = moneySeries(inputs.costs, batchesById);
  for (const entry of inputs.costs) {
    byLane[entry.lane] = (byLane[entry.lane] ?? 0) + entry.requests;
    nano += entry.nanoUsd;
    realtime += entry.realtimeNanoUsd;
  }

  return {
    generated_at: now.toISOString(),
    range: inputs.range,
    batches: [...active, ...completed.slice(0, RECENT_ROWS)].map((b) =>
      rowOf(b, now, turnaroundBy, settings, inputs.turnaroundStats),
    ),
    batches_by_state: byState,
    intake:
      inputs.intake === null
        ? null
        : {
            waiting: inputs.intake.waiting,
            held: inputs.intake.delayed,
            in_flight: inputs.intake.inFlight,
          },
    results: { by_status: byStatus, by_lane: byLane },
    costs: {
      cost_usd: usd(nano),
      realtime_usd: usd(realtime),
      saved_usd: usd(realtime - nano),
      series: money.series,
      untimed: money.untimed,
    },
    turnaround: { source: 'batch records', providers: turnaround },
    parked: {
      objects: inputs.parked.length,
      bytes: inputs.parked.reduce((sum, o) => sum + o.bytes, 0),
      truncated: inputs.parkedTruncated,
      prefixes: parkedPrefixes(inputs.parked),
    },
  };
};

export {
  type BatchRow,
  type MoneyPoint,
  type ParkedPrefix,
  type ProviderTurnaround,
  type StatusInputs,
  type StatusSettings,
  type StatusSnapshot,
  summarizeStatus,
  turnaroundStatsKey,
  type UntimedCosts,
};
