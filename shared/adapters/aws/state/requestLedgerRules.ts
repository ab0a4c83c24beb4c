import { ConflictError } from '../../../domain/errors.js';
import type { RequestRecord } from '../../../domain/records.js';
import type { RegisterOutcome, RegisterRequestInput } from '../../../ports/RequestLedger.js';
import { itemToRequest, requestToItem, type StateItem } from '../stateItemCodec.js';
import { IS_NEW, PK_NAME } from './stateExpressions.js';

/**
 * The `RequestLedger`'s rules, each stated once: a decision on the entry as stored, and next
 * to it the condition DynamoDB evaluates atomically in the one conditional write that applies
 * it (no read first). The in-memory fake applies the decisions to its map; the adapter sends
 * the writes and judges a refused registration by the same decision, on the entry the refusal
 * returned (`ALL_OLD`). `test/unit/fakes/ledgerRules.test.ts` holds each decision and its
 * condition together case by case (the fake), and so does
 * `test/integration/contract/ledgerRules.test.ts` (DynamoDB Local). This module imports no SDK.
 */

/** The entry a registration writes: the request as it came, in no batch yet. */
const registeredRecordOf = (input: RegisterRequestInput): RequestRecord => ({
  producer: input.producer,
  customId: input.customId,
  requestHash: input.requestHash,
  state: input.state,
  batchId: null,
  acceptedAt: input.acceptedAt,
  expiresAt: input.expiresAt,
});

/**
 * What registering `input` decides, given the entry stored under its id (undefined when there
 * is none). It writes (`new`) where there is no entry, or where a `pending` registration finds
 * only a refusal (`rejecting`, `rejected`): a refused request holds its id only to fold its own
 * resends, so an invalid message never reserves an id. Otherwise the entry stands: another
 * request under the id is a `conflict` (refused with `Request Rejected`); the same request is
 * `pending` when it was never claimed (an earlier try crashed before packing it) and a
 * `duplicate` otherwise (folded silently).
 */
const registrationDecisionOf = (
  input: Pick<RegisterRequestInput, 'requestHash' | 'state'>,
  entry: StateItem | undefined,
): RegisterOutcome => {
  if (entry === undefined) return { kind: 'new' };
  if (input.state === 'pending' && (entry.state === 'rejecting' || entry.state === 'rejected')) {
    return { kind: 'new' };
  }
  const existing = itemToRequest(entry);
  if (existing.requestHash !== input.requestHash) return { kind: 'conflict', existing };
  if (existing.state === 'pending') return { kind: 'pending', existing };
  return { kind: 'duplicate', existing };
};

/**
 * {@link registrationDecisionOf}'s `new`, clause by clause, as DynamoDB evaluates it: no
 * entry; or, for a `pending` registration only, an entry that is a refusal.
 */
const registerCondition = (input: Pick<RegisterRequestInput, 'state'>) =>
  input.state === 'pending'
    ? {
        ConditionExpression: `${IS_NEW} OR #state IN (:rejecting, :rejected)`,
        ExpressionAttributeNames: { ...PK_NAME, '#state': 'state' },
        ExpressionAttributeValues: { ':rejecting': 'rejecting', ':rejected': 'rejected' },
      }
    : { ConditionExpression: IS_NEW, ExpressionAttributeNames: PK_NAME };

/** The one conditional PutItem of a registration, returning the entry it found when refused. */
const registerPut = (tableName: string, input: RegisterRequestInput) => ({
  TableName: tableName,
  Item: requestToItem(registeredRecordOf(input)),
  ...registerCondition(input),
  ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
});

/**
 * What a refused {@link registerPut} means, by {@link registrationDecisionOf} on the entry
 * found: the one the refusal returned (`evaluated`: the very entry the condition refused), or
 * else one read after it. `retry` when the decision is to write after all on an entry read
 * later (none there: swept by the TTL since, so the id is free again). On the evaluated entry,
 * a decision to write means the condition and the decision disagree: a defect, refused loudly
 * rather than answered either way.
 */
const refusedRegistrationOf = (
  input: RegisterRequestInput,
  found: { readonly entry: StateItem | null; readonly evaluated: boolean },
): RegisterOutcome | 'retry' => {
  const outcome = registrationDecisionOf(input, found.entry ?? undefined);
  if (outcome.kind !== 'new') return outcome;
  if (!found.evaluated) return 'retry';
  throw new ConflictError('the ledger register condition refused an entry its rule would take', {
    code: 'register_rule_mismatch',
    details: { producer: input.producer },
  });
};

/** Whether marking a refusal out applies: only a `rejecting` entry becomes `rejected`. */
const marksRefused = (entry: StateItem | undefined): boolean => entry?.state === 'rejecting';

/** {@link marksRefused} as DynamoDB evaluates it, with the change it makes. */
const MARK_REFUSED_UPDATE = {
  ConditionExpression: '#state = :rejecting',
  UpdateExpression: 'SET #state = :rejected',
  ExpressionAttributeNames: { '#state': 'state' },
  ExpressionAttributeValues: { ':rejecting': 'rejecting', ':rejected': 'rejected' },
};

/**
 * Whether marking a request the realtime lane's applies: only a `pending` entry of the same
 * request (an entry claimed, refused or already marked is not the lane's to take).
 */
const marksRealtime = (entry: StateItem | undefined, requestHash: string): boolean =>
  entry?.state === 'pending' && entry.request_hash === requestHash;

/** {@link marksRealtime} as DynamoDB evaluates it, with the change it makes. */
const markRealtimeUpdate = (requestHash: string) => ({
  ConditionExpression: '#state = :pending AND request_hash = :hash',
  UpdateExpression: 'SET #state = :realtime',
  ExpressionAttributeNames: { '#state': 'state' },
  ExpressionAttributeValues: {
    ':pending': 'pending',
    ':realtime': 'realtime',
    ':hash': requestHash,
  },
});

export {
  MARK_REFUSED_UPDATE,
  markRealtimeUpdate,
  marksRealtime,
  marksRefused,
  refusedRegistrationOf,
  registeredRecordOf,
  registerPut,
  registrationDecisionOf,
};
