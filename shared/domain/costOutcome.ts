import type { Cost } from '../contract/result.js';
import type { PriceTable } from './pricing/PriceTable.js';
import { type PricingLane, priceRequest } from './pricing/priceRequest.js';
import { tokenUsageFromResponse } from './pricing/TokenUsage.js';
import type { ItemCost, JsonValue } from './records.js';

/** Longest cost tag kept; longer tags are cut so one caller cannot bloat the ledger keys. */
const MAX_TAG_LENGTH = 128;

/**
 * The caller's cost tag: the string at `metadata[tagKey]`, '' when there is none. Numbers and
 * booleans count too (as text); objects and arrays do not name a tag.
 */
const costTagOf = (metadata: JsonValue | null, tagKey: string): string => {
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) return '';
  const value = (metadata as Record<string, JsonValue>)[tagKey];
  if (typeof value === 'string') return value.slice(0, MAX_TAG_LENGTH);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return '';
};

interface OutcomeToPrice {
  readonly provider: string;
  readonly endpoint: string;
  readonly model: string;
  readonly lane: PricingLane;
  /** The provider's response body; only a response that ran carries billable usage. */
  readonly response: unknown;
  /** When the provider served it (a batch's end): picks the price in effect that day. */
  readonly at: Date;
  /**
   * When the provider says it processed the request, if it says: a provider that bills by
   * the hour (DeepSeek) is priced at this instant rather than at delivery.
   */
  readonly processedAt?: Date | null;
  readonly metadata: JsonValue | null;
}

/**
 * What one outcome cost: the `cost` its result carries and the record kept for the ledger.
 * Outcomes without a response (expired, canceled, errored) have no usage, cost nothing, and
 * say so (`no_usage`).
 */
const costOutcome = (
  outcome: OutcomeToPrice,
  table: PriceTable,
  tagKey: string,
): { readonly cost: Cost; readonly itemCost: ItemCost } => {
  const usage =
    outcome.response === null || outcome.response === undefined
      ? null
      : tokenUsageFromResponse(outcome.provider, outcome.endpoint, outcome.response);
  const byTheHour = (table.off_peak[outcome.provider]?.length ?? 0) > 0;
  const at = byTheHour ? (outcome.processedAt ?? outcome.at) : outcome.at;
  const priced = priceRequest(
    { provider: outcome.provider, model: outcome.model, lane: outcome.lane, usage, at },
    table,
  );
  return {
    cost: {
      usd: priced.usd,
      realtime_usd: priced.realtime_usd,
      saved_usd: priced.saved_usd,
      basis: priced.basis,
      billed_as: priced.billed_as,
      price_version: priced.price_version,
    },
    itemCost: {
      day: outcome.at.toISOString().slice(0, 10),
      model: outcome.model,
      tag: costTagOf(outcome.metadata, tagKey),
      nanoUsd: priced.nano_usd,
      realtimeNanoUsd: priced.realtime_nano_usd,
      inputTokens: usage?.inputTokens ?? 0,
      outputTokens: usage?.outputTokens ?? 0,
      cacheReadTokens: usage?.cacheReadTokens ?? 0,
      cacheWriteTokens: (usage?.cacheWrite5mTokens ?? 0) + (usage?.cacheWrite1hTokens ?? 0),
    },
  };
};

/**
 * When an OpenAI-compatible response says it was created (`created`, Unix seconds): DeepSeek
 * bills a request by the hour it began processing it, so a request whose off-peak window
 * closed mid-flight is priced as the provider billed it. Null when the response has none.
 */
const processedAtOf = (response: unknown): Date | null => {
  if (typeof response !== 'object' || response === null) return null;
  const created = (response as { created?: unknown }).created;
  if (typeof created !== 'number' || !Number.isFinite(created) || created <= 0) return null;
  return new Date(created * 1000);
};

export { costOutcome, costTagOf, type OutcomeToPrice, processedAtOf };
