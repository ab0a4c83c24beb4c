import type { ProviderName } from '../contract/providers.js';

/** What one ended batch took, recorded once when its last result is delivered. */
interface BatchTimes {
  readonly batchId: string;
  readonly provider: ProviderName;
  /** The model it ran (`*` for a batch of several models, where the provider allows it). */
  readonly model: string;
  readonly requestCount: number;
  readonly submittedAt: string;
  /** When the provider started it, where the provider says (null otherwise). */
  readonly inProgressAt: string | null;
  /** The provider's end. */
  readonly endedAt: string;
  /** First and last result delivered (null: not known to the recorder). */
  readonly firstDeliveredAt: string | null;
  readonly lastDeliveredAt: string;
}

/** The distribution of submitted → ended over a provider and model's recent batches. */
interface TurnaroundStats {
  readonly provider: ProviderName;
  readonly model: string;
  /** How many batches the figures rest on. */
  readonly batches: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
}

/** The key a batch's times are kept under: its one model, or `*` for a mix. */
const turnaroundModelOf = (models: readonly string[]): string =>
  models.length === 1 ? (models[0] ?? '*') : '*';

/** Submitted → ended, in ms (never negative: clocks of two parties). */
const turnaroundMsOf = (times: Pick<BatchTimes, 'submittedAt' | 'endedAt'>): number =>
  Math.max(0, Date.parse(times.endedAt) - Date.parse(times.submittedAt));

/** Nearest-rank percentile of ascending `sorted` (q in 0..1). */
const percentile = (sorted: readonly number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;

/** p50/p90/p99 of the given turnarounds, or null without any. */
const turnaroundStatsOf = (
  provider: ProviderName,
  model: string,
  turnaroundsMs: readonly number[],
): TurnaroundStats | null => {
  if (turnaroundsMs.length === 0) return null;
  const sorted = [...turnaroundsMs].sort((a, b) => a - b);
  return {
    provider,
    model,
    batches: sorted.length,
    p50Ms: percentile(sorted, 0.5),
    p90Ms: percentile(sorted, 0.9),
    p99Ms: percentile(sorted, 0.99),
  };
};

/** When a batch submitted at `submittedAt` is expected to end, and what that rests on. */
interface ExpectedEnd {
  readonly expectedEndAt: string;
  /** The typical (p50) end, and the end 9 in 10 batches beat (p90). */
  readonly likelyBy: string;
  readonly basis: {
    readonly batches: number;
    readonly provider: ProviderName;
    readonly model: string;
  };
}

/** The expected end of a new batch from its provider and model's history; null without one. */
const expectedEndOf = (submittedAt: string, stats: TurnaroundStats | null): ExpectedEnd | null => {
  if (stats === null) return null;
  const start = Date.parse(submittedAt);
  return {
    expectedEndAt: new Date(start + stats.p50Ms).toISOString(),
    likelyBy: new Date(start + stats.p90Ms).toISOString(),
    basis: { batches: stats.batches, provider: stats.provider, model: stats.model },
  };
};

export {
  type BatchTimes,
  type ExpectedEnd,
  expectedEndOf,
  percentile,
  type TurnaroundStats,
  turnaroundModelOf,
  turnaroundMsOf,
  turnaroundStatsOf,
};
