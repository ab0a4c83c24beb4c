import type { Destination } from '../contract/destination.js';
import type { StatusCounts } from '../contract/events.js';
import type { ProviderEndpoint, ProviderName } from '../contract/providers.js';
import type { ResultStatus } from '../contract/result.js';

type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * The idempotency ledger entry for one caller `custom_id`.
 * - `pending`: accepted, not yet in a batch (its body still lives in the SQS message);
 * - `claimed`: a member of `batchId`;
 * - `rejecting`: refused at intake, its `rejected` result and event not yet out (a retry
 *   sends them again);
 * - `rejected`: refused at intake, result (where possible) and event out.
 */
const REQUEST_STATES = ['pending', 'claimed', 'rejecting', 'rejected'] as const;
type RequestState = (typeof REQUEST_STATES)[number];

interface RequestRecord {
  readonly customId: string;
  /** sha256 of the canonical request: identical resends fold, different ones conflict. */
  readonly requestHash: string;
  readonly state: RequestState;
  readonly batchId: string | null;
  readonly acceptedAt: string;
  /** Epoch seconds after which the ledger may forget this id (DynamoDB TTL). */
  readonly expiresAt: number;
}

/**
 * A batch's life. `open`: intent recorded, input file written, members being claimed;
 * `submitting`: provider call in flight; `submitted`: the provider has it; `ended`: the
 * provider finished, results not yet all delivered; `completed`: every member delivered.
 */
const BATCH_STATES = ['open', 'submitting', 'submitted', 'ended', 'completed'] as const;
type BatchState = (typeof BATCH_STATES)[number];
const ACTIVE_BATCH_STATES: readonly BatchState[] = ['open', 'submitting', 'submitted', 'ended'];

interface BatchRecord {
  readonly batchId: string;
  readonly provider: ProviderName;
  readonly endpoint: ProviderEndpoint;
  readonly models: string[];
  readonly state: BatchState;
  /** Optimistic-locking counter: every update must name the version it read. */
  readonly version: number;
  /** Blob key of the provider-format JSONL input file. */
  readonly inputKey: string;
  readonly inputBytes: number;
  readonly requestCount: number;
  readonly providerBatchId: string | null;
  /** The provider's own status word, as last seen. */
  readonly providerStatus: string | null;
  readonly providerExpiresAt: string | null;
  readonly createdAt: string;
  readonly submittedAt: string | null;
  readonly endedAt: string | null;
  readonly completedAt: string | null;
  /** When the poller should look at this batch next (ISO); null once completed. */
  readonly nextPollAt: string | null;
  readonly pollCount: number;
  readonly counts: StatusCounts | null;
  /** Blob keys of the archived raw results files, once downloaded. */
  readonly resultKeys: string[];
  readonly lastError: string | null;
  /**
   * When the batch last entered `submitting`: a resumed submission looks for a provider
   * batch created since then. Absent on records written before it existed.
   */
  readonly submitStartedAt?: string | null;
  /** Until when a completion run owns this batch; another run leaves it alone until then. */
  readonly completionLeaseUntil: string | null;
  /** Where completion got to: lines before `offset` of result file `fileIndex` are delivered. */
  readonly checkpoint: { readonly fileIndex: number; readonly offset: number } | null;
}

/** A member's final state in its batch: its delivered status, or handed on to a retry batch. */
type ItemStatus = ResultStatus | 'retried';

/** One member of a batch: what completion needs to route a result back to its caller. */
interface BatchItem {
  readonly batchId: string;
  /** batchlane's own id for the request inside the provider batch. */
  readonly providerCustomId: string;
  readonly customId: string;
  readonly model: string;
  readonly destination: Destination | null;
  readonly metadata: JsonValue | null;
  readonly attempts: number;
  readonly acceptedAt: string;
  readonly deadline: string | null;
  /** Set once the item's result was delivered, or `retried` once it moved to a new batch. */
  readonly status: ItemStatus | null;
  readonly deliveredAt: string | null;
}

export {
  ACTIVE_BATCH_STATES,
  BATCH_STATES,
  type BatchItem,
  type BatchRecord,
  type BatchState,
  type ItemStatus,
  type JsonValue,
  REQUEST_STATES,
  type RequestRecord,
  type RequestState,
};
