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
 * - `rejected`: refused at intake, result (where possible) and event out;
 * - `realtime`: handed to the realtime lane (flex or standard synchronous call).
 */
const REQUEST_STATES = ['pending', 'claimed', 'rejecting', 'rejected', 'realtime'] as const;
type RequestState = (typeof REQUEST_STATES)[number];

interface RequestRecord {
  /** Who sent it (see `producer.ts`); '' on entries written before producers were told apart. */
  readonly producer: string;
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
 * A batch's life. `filling`: collector invocations append parts (S3 objects) and claim their
 * members; `sealing`: no more parts, the parts are being assembled into one input file;
 * `open`: input file complete, not yet submitted; `submitting`: provider call in flight;
 * `submitted`: the provider has it; `ended`: the provider finished, results not yet all
 * delivered; `completed`: every member delivered.
 */
const BATCH_STATES = [
  'filling',
  'sealing',
  'open',
  'submitting',
  'submitted',
  'ended',
  'completed',
] as const;
type BatchState = (typeof BATCH_STATES)[number];
const ACTIVE_BATCH_STATES: readonly BatchState[] = BATCH_STATES.filter((s) => s !== 'completed');

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
  /**
   * The provider's result references it no longer kept when completion came to archive them
   * (past its retention, or deleted): recorded with `resultKeys`, before anything is delivered,
   * so every run gives the members they held the same verdict. Absent when it kept them all.
   */
  readonly resultsGone?: readonly string[];
  readonly lastError: string | null;
  /**
   * When the batch last entered `submitting`: a resumed submission looks for a provider
   * batch created since then. Absent on records written before it existed.
   */
  readonly submitStartedAt?: string | null;
  /** Until when a completion run owns this batch; another run leaves it alone until then. */
  readonly completionLeaseUntil: string | null;
  /** Where completion got to: lines before `offset` of result file `fileIndex` are delivered. */
  readonly checkpoint: DeliveryCheckpoint | null;
  /**
   * When the poller must look for `auto` members running late for their deadline (the
   * earliest such deadline less the escalation lead); null when the batch has none.
   */
  readonly escalateAt?: string | null;
  /**
   * What the batch holds, as admission counts it: requests and estimated prompt tokens per
   * model (provider quotas), and its worst-case cost (budgets). Absent on older records.
   */
  readonly estimate?: BatchEstimate | null;
  /**
   * Parts reserved while the batch was `filling` (`batches/<id>/parts/<n>.jsonl`, n from 1).
   * Absent on batches written whole by one invocation.
   */
  readonly partCount?: number;
  /** When the provider first reported the batch running (absent: not seen, or older record). */
  readonly inProgressAt?: string | null;
  /** When the provider last reported a new status for the batch (absent: not since submission). */
  readonly progressAt?: string | null;
  /** When the current stuck episode was raised (`Batch Stuck`); null once it progresses again. */
  readonly stuckAt?: string | null;
  /**
   * When admission began holding escalations of its members (their `Requests Held` published);
   * null once a try holds none, so the next hold is a new episode, reported again.
   */
  readonly escalationHeldAt?: string | null;
}

/**
 * One collector invocation's contribution to a `filling` batch: a run of consecutive
 * provider custom ids whose lines sit in one part object. `open` while its members are being
 * claimed; `sealed` once the batch stopped taking parts (a claim into it is then refused).
 */
interface BatchPart {
  readonly batchId: string;
  readonly partNo: number;
  readonly state: 'open' | 'sealed';
  /** Index of its first member (provider custom id `r<index>`) and how many it reserved. */
  readonly firstIndex: number;
  readonly requestCount: number;
  readonly models: readonly string[];
  /** The earliest escalation time among its `auto` members; null when it has none. */
  readonly escalateAt: string | null;
  /**
   * How many of its members its collector claimed, once it finished claiming; null before
   * (or when sealing came first). A batch whose parts all claimed every member needs no
   * check of its input against its members before submission.
   */
  readonly claimed: number | null;
  /**
   * The provider custom ids of its indexes that hold no member (the ledger gave the request
   * to another member or batch, or refused it), once claimed is known. Absent on parts
   * recorded before sidecars, whose members were items of their own.
   */
  readonly voids?: readonly string[];
}

/**
 * Where completion got to in a batch's results, with what the results before that point
 * counted and cost: each delivered outcome is counted once, from the checkpoint that passed
 * it, instead of from a record per result.
 */
interface DeliveryCheckpoint {
  readonly fileIndex: number;
  readonly offset: number;
  /** Outcomes delivered from the results before this point (absent on older records). */
  readonly counts?: StatusCounts;
  /** Their costs, summed per (day, model, tag), `requests` counting the results summed. */
  readonly costs?: readonly (ItemCost & { readonly requests: number })[];
}

interface BatchEstimate {
  readonly byModel: Readonly<
    Record<string, { readonly requests: number; readonly tokens: number }>
  >;
  readonly nanoUsd: number;
}

/** A member's final state in its batch: its delivered status, or handed on to a retry batch. */
type ItemStatus = ResultStatus | 'retried';

/** One member of a batch: what completion needs to route a result back to its caller. */
/** The lane a batch member's caller asked for, and why the batch lane serves it. */
interface ItemLane {
  readonly requested: 'batch' | 'auto';
  readonly reason: string;
}

/**
 * What a member's delivered outcome cost, kept on the member so the batch's cost can be
 * summed exactly once, from durable records, when the batch completes.
 */
interface ItemCost {
  /** UTC day the cost was incurred (the provider's end of the batch). */
  readonly day: string;
  readonly model: string;
  /** The caller's cost tag (`metadata.tag`), '' when none. */
  readonly tag: string;
  readonly nanoUsd: number;
  readonly realtimeNanoUsd: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadTokens: number;
  readonly cacheWriteTokens: number;
}

interface BatchItem {
  readonly batchId: string;
  /** batchlane's own id for the request inside the provider batch. */
  readonly providerCustomId: string;
  /** Who sent it; with `customId`, the key of its ledger entry ('' on older members). */
  readonly producer: string;
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
  /** Set once the realtime lane took the member over from its late batch. */
  readonly escalatedAt: string | null;
  readonly lane: ItemLane;
  /** Set with the delivery; null before it, and for members moved to a retry batch. */
  readonly cost: ItemCost | null;
  /**
   * When completion chose to send the member again (recorded before its checkpoint passes
   * the member's result); its move to a retry batch follows at the end of the run.
   */
  readonly retryAt?: string | null;
  /**
   * When a destination did not take the member's result (recorded before the checkpoint
   * passes it): a later run delivers it again and records the delivery on the member's item.
   */
  readonly undeliveredAt?: string | null;
}

export {
  ACTIVE_BATCH_STATES,
  BATCH_STATES,
  type BatchEstimate,
  type BatchItem,
  type BatchPart,
  type BatchRecord,
  type BatchState,
  type DeliveryCheckpoint,
  type ItemCost,
  type ItemLane,
  type ItemStatus,
  type JsonValue,
  REQUEST_STATES,
  type RequestRecord,
  type RequestState,
};
