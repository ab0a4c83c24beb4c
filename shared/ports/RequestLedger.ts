import type { RequestRecord, RequestState } from '../domain/records.js';

/** What registering a caller `custom_id` found. */
type RegisterOutcome =
  /** First time this id is seen: recorded with the given state. */
  | { readonly kind: 'new' }
  /** Same request seen before and still `pending` (an earlier try crashed before claiming it). */
  | { readonly kind: 'pending'; readonly existing: RequestRecord }
  /** Same request already claimed by a batch or rejected: fold it silently. */
  | { readonly kind: 'duplicate'; readonly existing: RequestRecord }
  /** Same id, different request: refuse, never deliver twice. */
  | { readonly kind: 'conflict'; readonly existing: RequestRecord };

interface RegisterRequestInput {
  /** Who sent it: ids are the producer's own (see `ledgerIdOf`). */
  readonly producer: string;
  readonly customId: string;
  readonly requestHash: string;
  readonly state: Extract<RequestState, 'pending' | 'rejecting'>;
  readonly acceptedAt: string;
  readonly expiresAt: number;
}

/**
 * The idempotency ledger: one entry per producer's `custom_id`, which is what folds a resend and
 * refuses a different request under the same id.
 * Every method is safe to call again after a crash; conditional writes decide races.
 */
interface RequestLedger {
  /**
   * Records a producer's id, or reports what an earlier registration of it found. A `pending`
   * registration takes over an id whose entry is a refusal (`rejecting`, `rejected`): an
   * invalid message never reserves an id.
   */
  registerRequest(input: RegisterRequestInput): Promise<RegisterOutcome>;

  /**
   * `registerRequest` for many distinct ids at once (one round trip per hundred in the
   * common case where they are all new); outcomes in the order given.
   */
  registerRequests(inputs: readonly RegisterRequestInput[]): Promise<RegisterOutcome[]>;

  /** Records that a refused request's result and event are out (`rejecting` → `rejected`). */
  markRefused(producer: string, customId: string): Promise<void>;

  /**
   * `pending` → `realtime`: the request is the realtime lane's. False if it was not pending.
   * The collector sends the realtime job before this mark, so a worker may lease the entry
   * (`RealtimeLeases`) while it is still `pending`; until the mark, the lease is what keeps
   * the entry the lane's: a batch claim (`BatchFilling.claimPartMembers`) finds a `pending`
   * entry under a live lease, or already delivered, held, and folds the request rather than
   * take it, so a collector retry that chooses the batch lane never serves it twice.
   */
  markRealtime(producer: string, customId: string, requestHash: string): Promise<boolean>;
}

export type { RegisterOutcome, RegisterRequestInput, RequestLedger };
