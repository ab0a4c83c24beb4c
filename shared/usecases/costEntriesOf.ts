import type { CostEntry, CostLane } from '../domain/costs/CostEntry.js';
import type { CostGroup } from '../domain/sumItemCosts.js';

/** Ledger entries for one source (a batch, or one realtime request), one per cost group. */
const costEntriesOf = (
  source: string,
  provider: string,
  lane: CostLane,
  groups: readonly CostGroup[],
): CostEntry[] =>
  groups.map((group) => ({
    day: group.day,
    source,
    provider,
    model: group.model,
    lane,
    tag: group.tag,
    requests: group.requests,
    inputTokens: group.inputTokens,
    outputTokens: group.outputTokens,
    cacheReadTokens: group.cacheReadTokens,
    cacheWriteTokens: group.cacheWriteTokens,
    nanoUsd: group.nanoUsd,
    realtimeNanoUsd: group.realtimeNanoUsd,
  }));

export { costEntriesOf };
