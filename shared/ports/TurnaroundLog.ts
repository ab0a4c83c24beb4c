import type { ProviderName } from '../contract/providers.js';
import type { BatchTimes, TurnaroundStats } from '../domain/turnaround.js';

/**
 * How long batches take, per provider and model: one record per ended batch, and the
 * distribution over the most recent ones. The status page and expected ends read it.
 */
interface TurnaroundLog {
  /** Records a batch's times; recording the same batch again changes nothing. */
  record(times: BatchTimes): Promise<void>;
  /**
   * p50/p90/p99 of submitted → ended over the provider and model's most recent batches (at
   * most `window`, default 200), or null when none is recorded.
   */
  turnaroundOf(
    provider: ProviderName,
    model: string,
    window?: number,
  ): Promise<TurnaroundStats | null>;
  /** The most recent batches' times, newest first (at most `limit`, default 50). */
  recent(provider: ProviderName, model: string, limit?: number): Promise<BatchTimes[]>;
}

export type { TurnaroundLog };
