import type { ProviderName } from '../../../shared/contract/providers.js';
import {
  type BatchTimes,
  type TurnaroundStats,
  turnaroundMsOf,
  turnaroundStatsOf,
} from '../../../shared/domain/turnaround.js';
import type { TurnaroundLog } from '../../../shared/ports/TurnaroundLog.js';

/** `TurnaroundLog` in memory: one record per batch id, newest (by end) first. */
class InMemoryTurnaroundLog implements TurnaroundLog {
  readonly #byBatch = new Map<string, BatchTimes>();

  async record(times: BatchTimes): Promise<void> {
    this.#byBatch.set(times.batchId, times);
  }

  async recent(provider: ProviderName, model: string, limit = 50): Promise<BatchTimes[]> {
    return [...this.#byBatch.values()]
      .filter((t) => t.provider === provider && t.model === model)
      .sort((a, b) => b.endedAt.localeCompare(a.endedAt) || b.batchId.localeCompare(a.batchId))
      .slice(0, limit);
  }

  async turnaroundOf(
    provider: ProviderName,
    model: string,
    window = 200,
  ): Promise<TurnaroundStats | null> {
    const recent = await this.recent(provider, model, window);
    return turnaroundStatsOf(provider, model, recent.map(turnaroundMsOf));
  }
}

export { InMemoryTurnaroundLog };
