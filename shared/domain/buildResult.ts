import type { Destination } from '../contract/destination.js';
import type { ProviderName } from '../contract/providers.js';
import type { Tier } from '../contract/request.js';
import type { Cost, ResultError, ResultStatus, ResultV1, Usage } from '../contract/result.js';
import type { BatchItem, BatchRecord, JsonValue } from './records.js';
import type { Rejection } from './validateRequest.js';

/** The outcome of one batch member, from a result line or from batchlane's own verdict. */
interface ItemOutcome {
  readonly status: Exclude<ResultStatus, 'rejected'>;
  readonly response: unknown;
  readonly error: ResultError | null;
  readonly usage: Usage | null;
  readonly model: string | null;
}

/** The cost of an outcome nothing was billed for: nothing ran (expired, canceled, refused). */
const UNBILLED: Cost = {
  usd: 0,
  realtime_usd: 0,
  saved_usd: 0,
  basis: 'no_usage',
  billed_as: null,
  price_version: null,
};

/** The result's `producer` field: absent for records without one (written before it existed). */
const producerField = (producer: string): { producer?: string } =>
  producer === '' ? {} : { producer };

/** The result record for a batch member. */
const buildItemResult = (
  batch: BatchRecord,
  item: BatchItem,
  outcome: ItemOutcome,
  deliveredAt: string,
  cost: Cost,
): ResultV1 => ({
  schema: 'batchlane.result.v1',
  custom_id: item.customId,
  ...producerField(item.producer),
  status: outcome.status,
  provider: batch.provider,
  endpoint: batch.endpoint,
  model: outcome.model ?? item.model,
  batch_id: batch.batchId,
  provider_batch_id: batch.providerBatchId,
  response: (outcome.response ?? null) as JsonValue,
  error: outcome.error,
  usage: outcome.usage,
  cost,
  lane: { requested: item.lane.requested, served_by: 'batch', reason: item.lane.reason },
  attempts: item.attempts,
  metadata: item.metadata,
  accepted_at: item.acceptedAt,
  submitted_at: batch.submittedAt,
  ended_at: batch.endedAt,
  delivered_at: deliveredAt,
});

/** The result record for a request refused at intake. */
const buildRejectedResult = (input: {
  readonly customId: string;
  readonly producer: string;
  readonly provider: ProviderName | null;
  readonly rejection: Rejection;
  readonly metadata: JsonValue | null;
  readonly at: string;
  /** The tier the message asked for, when it could be read. */
  readonly tier?: Tier | null;
}): ResultV1 => ({
  schema: 'batchlane.result.v1',
  custom_id: input.customId,
  ...producerField(input.producer),
  status: 'rejected',
  provider: input.provider,
  endpoint: null,
  model: null,
  batch_id: null,
  provider_batch_id: null,
  response: null,
  error: { type: input.rejection.code, message: input.rejection.message },
  usage: null,
  cost: UNBILLED,
  lane: {
    requested: input.tier ?? 'batch',
    served_by: null,
    reason: `rejected at intake: ${input.rejection.code}`,
  },
  attempts: 0,
  metadata: input.metadata,
  accepted_at: null,
  submitted_at: null,
  ended_at: null,
  delivered_at: input.at,
});

/** Results grouped by where they go, keeping the first-seen destination object per key. */
const groupByDestination = <T extends { destination: Destination }>(
  entries: readonly T[],
  keyOf: (destination: Destination, entry: T) => string,
): Map<string, { destination: Destination; entries: T[] }> => {
  const groups = new Map<string, { destination: Destination; entries: T[] }>();
  for (const entry of entries) {
    const key = keyOf(entry.destination, entry);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, { destination: entry.destination, entries: [entry] });
    else group.entries.push(entry);
  }
  return groups;
};

export {
  buildItemResult,
  buildRejectedResult,
  groupByDestination,
  type ItemOutcome,
  producerField,
  UNBILLED,
};
