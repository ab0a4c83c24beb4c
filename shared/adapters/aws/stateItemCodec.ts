import { STATE_TABLE } from '../../config/stateTableSchema.js';
import type { StatusCounts } from '../../contract/events.js';
import type { ProviderEndpoint, ProviderName } from '../../contract/providers.js';
import { ledgerIdOf } from '../../domain/producer.js';
import type {
  BatchEstimate,
  BatchItem,
  BatchPart,
  BatchRecord,
  ItemStatus,
  RequestRecord,
} from '../../domain/records.js';
import type { MemberException } from '../../ports/StateStore.js';

/** An item as the DocumentClient reads and writes it. */
type StateItem = Record<string, unknown>;

/** Value of the index partition key while a batch still needs polling. */
const ACTIVE_PARTITION = STATE_TABLE.activePartition;

/** The primary key of an item, under the table's key names. */
const stateKey = (pk: string, sk: string) =>
  ({ [STATE_TABLE.partitionKey]: pk, [STATE_TABLE.sortKey]: sk }) as const;

/** Key of a request's ledger entry: its producer's `custom_id` (see `ledgerIdOf`). */
const requestKey = (producer: string, customId: string) =>
  stateKey(`REQ#${ledgerIdOf(producer, customId)}`, 'REQ');
/** Key of a batch record. */
const batchKey = (batchId: string) => stateKey(`BATCH#${batchId}`, 'BATCH');
/** Key of one member of a batch (same partition as the batch, so it can be queried). */
const itemKey = (batchId: string, providerCustomId: string) =>
  stateKey(`BATCH#${batchId}`, `ITEM#${providerCustomId}`);

/** Key of a group's pointer to its `filling` batch. */
const fillKey = (groupKey: string) => stateKey(`FILL#${groupKey}`, 'FILL');
/** Key of one part of a batch (same partition, sorted by number). */
const partKey = (batchId: string, partNo: number) =>
  stateKey(`BATCH#${batchId}`, `PART#${partNo.toString().padStart(6, '0')}`);

/**
 * A batch's estimate is kept as flat numbers, `est_nano` and per model `est_r#<model>` and
 * `est_t#<model>`, so a part's reservation can add to them with one atomic `ADD` (nested map
 * entries cannot be created by `ADD`).
 */
const EST_NANO = 'est_nano';
const EST_REQUESTS = 'est_r#';
const EST_TOKENS = 'est_t#';

const estimateToAttributes = (estimate: BatchEstimate | null | undefined): StateItem => {
  if (estimate === null || estimate === undefined) return {};
  const attributes: StateItem = { [EST_NANO]: estimate.nanoUsd };
  for (const [model, use] of Object.entries(estimate.byModel)) {
    attributes[`${EST_REQUESTS}${model}`] = use.requests;
    attributes[`${EST_TOKENS}${model}`] = use.tokens;
  }
  return attributes;
};

const attributesToEstimate = (item: StateItem): BatchEstimate | null => {
  const nano = item[EST_NANO];
  // Records written before the flat form kept the estimate as one map.
  if (typeof nano !== 'number') return (item.estimate ?? null) as BatchEstimate | null;
  const byModel: Record<string, { requests: number; tokens: number }> = {};
  for (const [name, value] of Object.entries(item)) {
    if (!name.startsWith(EST_REQUESTS) || typeof value !== 'number') continue;
    const model = name.slice(EST_REQUESTS.length);
    const tokens = item[`${EST_TOKENS}${model}`];
    byModel[model] = { requests: value, tokens: typeof tokens === 'number' ? tokens : 0 };
  }
  return { byModel, nanoUsd: nano };
};

const str = (item: StateItem, name: string): string => {
  const value = item[name];
  if (typeof value !== 'string')
    throw new TypeError(`state item attribute ${name} is not a string`);
  return value;
};
const strOrNull = (item: StateItem, name: string): string | null => {
  const value = item[name];
  return typeof value === 'string' ? value : null;
};
const num = (item: StateItem, name: string): number => {
  const value = item[name];
  if (typeof value !== 'number')
    throw new TypeError(`state item attribute ${name} is not a number`);
  return value;
};

/** Ledger record → item (`expires_at` is the table's TTL attribute). */
const requestToItem = (record: RequestRecord): StateItem => ({
  ...requestKey(record.producer, record.customId),
  producer: record.producer,
  custom_id: record.customId,
  request_hash: record.requestHash,
  state: record.state,
  batch_id: record.batchId,
  accepted_at: record.acceptedAt,
  [STATE_TABLE.ttlAttribute]: record.expiresAt,
});

/** Item → ledger record. */
const itemToRequest = (item: StateItem): RequestRecord => ({
  producer: strOrNull(item, 'producer') ?? '',
  customId: str(item, 'custom_id'),
  requestHash: str(item, 'request_hash'),
  state: str(item, 'state') as RequestRecord['state'],
  batchId: strOrNull(item, 'batch_id'),
  acceptedAt: str(item, 'accepted_at'),
  expiresAt: num(item, STATE_TABLE.ttlAttribute),
});

/**
 * The GSI attributes of a batch. An active batch without `nextPollAt` is keyed by its creation
 * time, so a batch a crashed writer left without a poll time is still found by the poller.
 */
const batchIndexKeys = (record: BatchRecord): StateItem | null =>
  record.state === 'completed'
    ? null
    : {
        [STATE_TABLE.indexPartitionKey]: ACTIVE_PARTITION,
        [STATE_TABLE.indexSortKey]: record.nextPollAt ?? record.createdAt,
      };

/** A running batch's progress marks, written only once set (older records have none). */
const progressToAttributes = (record: BatchRecord): StateItem => ({
  ...(record.inProgressAt == null ? {} : { in_progress_at: record.inProgressAt }),
  ...(record.progressAt == null ? {} : { progress_at: record.progressAt }),
  ...(record.stuckAt == null ? {} : { stuck_at: record.stuckAt }),
  ...(record.escalationHeldAt == null ? {} : { escalation_held_at: record.escalationHeldAt }),
});

const attributesToProgress = (item: StateItem): Partial<BatchRecord> => ({
  ...(typeof item.in_progress_at === 'string' ? { inProgressAt: item.in_progress_at } : {}),
  ...(typeof item.progress_at === 'string' ? { progressAt: item.progress_at } : {}),
  ...(typeof item.stuck_at === 'string' ? { stuckAt: item.stuck_at } : {}),
  ...(typeof item.escalation_held_at === 'string'
    ? { escalationHeldAt: item.escalation_held_at }
    : {}),
});

/** Batch record → item, with the `active-batches` index keys while it is not completed. */
const batchToItem = (record: BatchRecord): StateItem => ({
  ...batchKey(record.batchId),
  batch_id: record.batchId,
  provider: record.provider,
  endpoint: record.endpoint,
  models: [...record.models],
  state: record.state,
  version: record.version,
  input_key: record.inputKey,
  input_bytes: record.inputBytes,
  request_count: record.requestCount,
  provider_batch_id: record.providerBatchId,
  provider_status: record.providerStatus,
  provider_expires_at: record.providerExpiresAt,
  created_at: record.createdAt,
  submitted_at: record.submittedAt,
  ended_at: record.endedAt,
  completed_at: record.completedAt,
  next_poll_at: record.nextPollAt,
  poll_count: record.pollCount,
  counts: record.counts,
  result_keys: [...record.resultKeys],
  ...(record.resultsGone === undefined ? {} : { results_gone: [...record.resultsGone] }),
  last_error: record.lastError,
  submit_started_at: record.submitStartedAt ?? null,
  escalate_at: record.escalateAt ?? null,
  ...estimateToAttributes(record.estimate),
  ...(record.partCount === undefined ? {} : { part_count: record.partCount }),
  ...progressToAttributes(record),
  completion_lease_until: record.completionLeaseUntil,
  checkpoint: record.checkpoint,
  ...(batchIndexKeys(record) ?? {}),
});

/** Item → batch record (index keys dropped). */
const itemToBatch = (item: StateItem): BatchRecord => ({
  batchId: str(item, 'batch_id'),
  provider: str(item, 'provider') as ProviderName,
  endpoint: str(item, 'endpoint') as ProviderEndpoint,
  models: Array.isArray(item.models) ? (item.models as string[]) : [],
  state: str(item, 'state') as BatchRecord['state'],
  version: num(item, 'version'),
  inputKey: str(item, 'input_key'),
  inputBytes: num(item, 'input_bytes'),
  requestCount: num(item, 'request_count'),
  providerBatchId: strOrNull(item, 'provider_batch_id'),
  providerStatus: strOrNull(item, 'provider_status'),
  providerExpiresAt: strOrNull(item, 'provider_expires_at'),
  createdAt: str(item, 'created_at'),
  submittedAt: strOrNull(item, 'submitted_at'),
  endedAt: strOrNull(item, 'ended_at'),
  completedAt: strOrNull(item, 'completed_at'),
  nextPollAt: strOrNull(item, 'next_poll_at'),
  pollCount: num(item, 'poll_count'),
  counts:
    typeof item.counts === 'object' && item.counts !== null ? (item.counts as StatusCounts) : null,
  resultKeys: Array.isArray(item.result_keys) ? (item.result_keys as string[]) : [],
  ...(Array.isArray(item.results_gone) ? { resultsGone: item.results_gone as string[] } : {}),
  lastError: strOrNull(item, 'last_error'),
  submitStartedAt: strOrNull(item, 'submit_started_at'),
  escalateAt: strOrNull(item, 'escalate_at'),
  estimate: attributesToEstimate(item),
  ...(typeof item.part_count === 'number' ? { partCount: item.part_count } : {}),
  ...attributesToProgress(item),
  completionLeaseUntil: strOrNull(item, 'completion_lease_until'),
  checkpoint:
    typeof item.checkpoint === 'object' && item.checkpoint !== null
      ? (item.checkpoint as BatchRecord['checkpoint'])
      : null,
});

/**
 * A member's metadata is the caller's JSON, kept as a JSON string: as a DynamoDB map, an empty
 * key ("Empty attribute name"), a key named `constructor` (the marshaller takes the object for
 * a class instance) or deep nesting would make the member unstorable, and with it every other
 * request claimed in the same transaction.
 */
const metadataToAttribute = (metadata: BatchItem['metadata']): string | null =>
  metadata === null ? null : JSON.stringify(metadata);

/** The metadata of a member item: a JSON string, or a map as members were stored before. */
const metadataOfItem = (item: StateItem): BatchItem['metadata'] => {
  if (typeof item.metadata_json === 'string') {
    return JSON.parse(item.metadata_json) as BatchItem['metadata'];
  }
  return (item.metadata ?? null) as BatchItem['metadata'];
};

/** Batch member → item. */
const batchItemToItem = (record: BatchItem): StateItem => ({
  ...itemKey(record.batchId, record.providerCustomId),
  batch_id: record.batchId,
  provider_custom_id: record.providerCustomId,
  producer: record.producer,
  custom_id: record.customId,
  model: record.model,
  destination: record.destination,
  metadata_json: metadataToAttribute(record.metadata),
  attempts: record.attempts,
  accepted_at: record.acceptedAt,
  deadline: record.deadline,
  status: record.status,
  delivered_at: record.deliveredAt,
  escalated_at: record.escalatedAt,
  lane: record.lane,
  cost: record.cost,
});

/**
 * Marks a void slot: an index of a part that held no member, as members were recorded before
 * sidecars (one item each). Still read, so batches made then complete as they were made.
 */
const VOID_SLOT = 'void_slot';

const isVoidSlot = (item: StateItem): boolean => item[VOID_SLOT] === true;

/** Item → batch member. */
const itemToBatchItem = (item: StateItem): BatchItem => ({
  batchId: str(item, 'batch_id'),
  providerCustomId: str(item, 'provider_custom_id'),
  producer: strOrNull(item, 'producer') ?? '',
  customId: str(item, 'custom_id'),
  model: str(item, 'model'),
  destination: (item.destination ?? null) as BatchItem['destination'],
  metadata: metadataOfItem(item),
  attempts: num(item, 'attempts'),
  acceptedAt: str(item, 'accepted_at'),
  deadline: strOrNull(item, 'deadline'),
  status: strOrNull(item, 'status') as ItemStatus | null,
  deliveredAt: strOrNull(item, 'delivered_at'),
  escalatedAt: strOrNull(item, 'escalated_at'),
  // Members recorded before lanes existed were all sent as batch.
  lane: (item.lane ?? { requested: 'batch', reason: 'tier batch' }) as BatchItem['lane'],
  cost: (item.cost ?? null) as BatchItem['cost'],
  ...(typeof item.retry_at === 'string' ? { retryAt: item.retry_at } : {}),
  ...(typeof item.undelivered_at === 'string' ? { undeliveredAt: item.undelivered_at } : {}),
});

/**
 * A member as its batch now stands: the member its part's sidecar holds, with what its
 * exception item (escalated, sent again, delivered by the realtime lane) says. An exception
 * item that holds the whole member (a retry batch's member, one moved out, or a member
 * written before sidecars) stands as it is.
 */
const withException = (member: BatchItem, item: StateItem): BatchItem =>
  typeof item.custom_id === 'string'
    ? itemToBatchItem(item)
    : { ...member, ...itemToException(item) };

/**
 * A batch's members in pages: each sidecar member with its exception item applied, then the
 * exception items no sidecar member claimed (members of batches made before sidecars, which
 * were kept as items).
 */
async function* pagesOfMembers(
  sidecarMembers: AsyncIterable<BatchItem>,
  exceptions: Map<string, StateItem>,
  pageSize: number,
): AsyncIterable<BatchItem[]> {
  const unclaimed = new Map(exceptions);
  let page: BatchItem[] = [];
  for await (const member of sidecarMembers) {
    const item = unclaimed.get(member.providerCustomId);
    unclaimed.delete(member.providerCustomId);
    page.push(item === undefined ? member : withException(member, item));
    if (page.length >= pageSize) {
      yield page;
      page = [];
    }
  }
  for (const item of unclaimed.values()) {
    if (typeof item.custom_id !== 'string') continue;
    page.push(itemToBatchItem(item));
    if (page.length >= pageSize) {
      yield page;
      page = [];
    }
  }
  if (page.length > 0) yield page;
}

/** What an exception item says of its member. */
const itemToException = (item: StateItem): MemberException => {
  const retryAt = strOrNull(item, 'retry_at');
  const undeliveredAt = strOrNull(item, 'undelivered_at');
  return {
    status: strOrNull(item, 'status') as ItemStatus | null,
    deliveredAt: strOrNull(item, 'delivered_at'),
    escalatedAt: strOrNull(item, 'escalated_at'),
    cost: (item.cost ?? null) as BatchItem['cost'],
    ...(retryAt === null ? {} : { retryAt }),
    ...(undeliveredAt === null ? {} : { undeliveredAt }),
  };
};

/** Batch part → item. */
const partToItem = (part: BatchPart): StateItem => ({
  ...partKey(part.batchId, part.partNo),
  batch_id: part.batchId,
  part_no: part.partNo,
  state: part.state,
  first_index: part.firstIndex,
  request_count: part.requestCount,
  models: [...part.models],
  escalate_at: part.escalateAt,
  claimed: part.claimed,
  ...(part.voids === undefined ? {} : { voids: [...part.voids] }),
});

/** Item → batch part. A part sealed before its collector recorded it has only its key. */
const itemToPart = (item: StateItem, batchId: string, partNo: number): BatchPart => ({
  batchId,
  partNo,
  state: item.state === 'open' ? 'open' : 'sealed',
  firstIndex: typeof item.first_index === 'number' ? item.first_index : 0,
  requestCount: typeof item.request_count === 'number' ? item.request_count : 0,
  models: Array.isArray(item.models) ? (item.models as string[]) : [],
  escalateAt: strOrNull(item, 'escalate_at'),
  claimed: typeof item.claimed === 'number' ? item.claimed : null,
  ...(Array.isArray(item.voids) ? { voids: item.voids as string[] } : {}),
});

export {
  ACTIVE_PARTITION,
  batchItemToItem,
  batchKey,
  batchToItem,
  EST_NANO,
  EST_REQUESTS,
  EST_TOKENS,
  fillKey,
  isVoidSlot,
  itemKey,
  itemToBatch,
  itemToBatchItem,
  itemToException,
  itemToPart,
  itemToRequest,
  pagesOfMembers,
  partKey,
  partToItem,
  requestKey,
  requestToItem,
  type StateItem,
  stateKey,
  withException,
};
