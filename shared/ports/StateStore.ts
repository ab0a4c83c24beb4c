import type { BatchFilling } from './BatchFilling.js';
import type { BatchMembers } from './BatchMembers.js';
import type { BatchRecords } from './BatchRecords.js';
import type { RealtimeLeases } from './RealtimeLeases.js';
import type { RequestLedger } from './RequestLedger.js';

/**
 * Durable state, as one DynamoDB table holds it (see `stateTableSchema.ts`): the ledger,
 * batches, how they fill, what they hold, and the realtime lane's leases. Each part is its own
 * port; a use case names only the ones it uses, and each has a fake and a contract suite.
 */
interface StateStore
  extends RequestLedger,
    BatchRecords,
    BatchFilling,
    BatchMembers,
    RealtimeLeases {}

export type {
  BatchFilling,
  MemberClaim,
  PartMember,
  PartReservation,
  ReservedPart,
} from './BatchFilling.js';
export type { BatchMembers, ItemDelivery, MemberException } from './BatchMembers.js';
export type { BatchPatch, BatchRecords } from './BatchRecords.js';
export type { RealtimeLease, RealtimeLeases, RealtimeTarget } from './RealtimeLeases.js';
export type { RegisterOutcome, RegisterRequestInput, RequestLedger } from './RequestLedger.js';
export type { StateStore };
