import { PUSH_PROVIDERS, WEBHOOK_PROVIDERS } from '../shared/contract/providerPush.js';
import type { ProviderName } from '../shared/contract/providers.js';
import type { ResultV1 } from '../shared/contract/result.js';

/** How batchlane learned that a provider's batch ended. */
type EndSignal = 'webhook' | 'eventbridge' | 'poll';

/** One ended batch: when the provider ended it, and when its first result was delivered. */
interface BatchTurnaround {
  readonly batchId: string;
  readonly provider: ProviderName;
  readonly signal: EndSignal;
  readonly endedAtMs: number;
  readonly firstDeliveredAtMs: number;
}

interface EndedEvent {
  readonly 'detail-type'?: string;
  readonly DetailType?: string;
  readonly detail?: unknown;
  readonly Detail?: string;
}

/** How each provider's ends reach batchlane, given whether its webhooks are received. */
const signalOf = (provider: ProviderName, webhooksReceived: boolean): EndSignal => {
  if ((WEBHOOK_PROVIDERS as readonly string[]).includes(provider)) {
    return webhooksReceived ? 'webhook' : 'poll';
  }
  return PUSH_PROVIDERS.includes(provider) ? 'eventbridge' : 'poll';
};

/**
 * Per ended batch, the time from the provider's end (`Batch Ended`'s `ended_at`, as the
 * provider reports it: OpenAI to the second, so its times read up to a second long) to the
 * first of its results delivered (`delivered_at`).
 */
const batchTurnarounds = (
  events: readonly EndedEvent[],
  results: Iterable<ResultV1>,
  webhooksReceived: boolean,
): BatchTurnaround[] => {
  const firstDelivery = new Map<string, number>();
  for (const result of results) {
    if (result.batch_id === null) continue;
    const at = Date.parse(result.delivered_at);
    const seen = firstDelivery.get(result.batch_id);
    if (seen === undefined || at < seen) firstDelivery.set(result.batch_id, at);
  }
  const turnarounds: BatchTurnaround[] = [];
  for (const event of events) {
    if ((event['detail-type'] ?? event.DetailType) !== 'Batch Ended') continue;
    const detail = (event.detail ?? JSON.parse(event.Detail ?? '{}')) as {
      batch_id: string;
      provider: ProviderName;
      ended_at: string;
    };
    const first = firstDelivery.get(detail.batch_id);
    if (first === undefined) continue;
    turnarounds.push({
      batchId: detail.batch_id,
      provider: detail.provider,
      signal: signalOf(detail.provider, webhooksReceived),
      endedAtMs: Date.parse(detail.ended_at),
      firstDeliveredAtMs: first,
    });
  }
  return turnarounds;
};

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};

/** One line per provider: how its ends arrive, and end → first result (median and max). */
const formatTurnarounds = (turnarounds: readonly BatchTurnaround[]): string[] => {
  const byProvider = new Map<string, BatchTurnaround[]>();
  for (const turnaround of turnarounds) {
    const key = `${turnaround.provider} (${turnaround.signal})`;
    byProvider.set(key, [...(byProvider.get(key) ?? []), turnaround]);
  }
  return [...byProvider]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, list]) => {
      const seconds = list.map((t) => Math.max(0, t.firstDeliveredAtMs - t.endedAtMs) / 1000);
      return `${key.padEnd(24)} ${String(list.length).padStart(3)} batches, median ${median(seconds).toFixed(2)} s, max ${Math.max(...seconds).toFixed(2)} s`;
    });
};

export { type BatchTurnaround, batchTurnarounds, type EndSignal, formatTurnarounds, signalOf };
