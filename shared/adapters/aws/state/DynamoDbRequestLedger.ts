import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { mapWithConcurrency } from '../../../domain/mapWithConcurrency.js';
import type { RequestRecord } from '../../../domain/records.js';
import type {
  RegisterOutcome,
  RegisterRequestInput,
  RequestLedger,
} from '../../../ports/RequestLedger.js';
import { isAwsErrorNamed } from '../isAwsErrorNamed.js';
import { itemToRequest, requestKey, requestToItem } from '../stateItemCodec.js';
import {
  IS_NEW,
  oldItemOfError,
  PK_NAME,
  StateTableAccess,
  type StateTableOptions,
} from './StateTableAccess.js';

interface DynamoDbRequestLedgerOptions extends StateTableOptions {
  /** Parallel PutItem calls in `registerRequests` (default 16). */
  readonly writeConcurrency?: number;
}

/**
 * The condition a new ledger entry is written under. A refused request holds its id only to
 * fold its own resends: a valid request of the same producer takes the id over, so an invalid
 * message never reserves an id.
 */
const registerCondition = (input: RegisterRequestInput) =>
  input.state === 'pending'
    ? {
        ConditionExpression: `${IS_NEW} OR #state IN (:rejecting, :rejected)`,
        ExpressionAttributeNames: { ...PK_NAME, '#state': 'state' },
        ExpressionAttributeValues: { ':rejecting': 'rejecting', ':rejected': 'rejected' },
      }
    : { ConditionExpression: IS_NEW, ExpressionAttributeNames: PK_NAME };

/** What registering `input` means, given the entry already stored for its id. */
const registrationOf = (input: RegisterRequestInput, existing: RequestRecord): RegisterOutcome => {
  if (existing.requestHash !== input.requestHash) return { kind: 'conflict', existing };
  if (existing.state === 'pending') return { kind: 'pending', existing };
  return { kind: 'duplicate', existing };
};

/**
 * {@link RequestLedger} on the state table: one entry per producer's id,
 * `REQ#<ledgerId>/REQ` (see `ledgerIdOf`), expiring by the table's TTL. Entries are also
 * written by {@link DynamoDbBatchFilling} (a claimed member's entry) and
 * `DynamoDbBatchMembers` (a member moved to a retry batch): one table, one ledger.
 */
class DynamoDbRequestLedger implements RequestLedger {
  readonly #table: StateTableAccess;
  readonly #writeConcurrency: number;

  constructor(options: DynamoDbRequestLedgerOptions) {
    this.#table = new StateTableAccess(options);
    this.#writeConcurrency = options.writeConcurrency ?? 16;
  }

  async registerRequest(input: RegisterRequestInput): Promise<RegisterOutcome> {
    const record: RequestRecord = {
      producer: input.producer,
      customId: input.customId,
      requestHash: input.requestHash,
      state: input.state,
      batchId: null,
      acceptedAt: input.acceptedAt,
      expiresAt: input.expiresAt,
    };
    try {
      await this.#table.client.send(
        new PutCommand({
          TableName: this.#table.tableName,
          Item: requestToItem(record),
          ...registerCondition(input),
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { kind: 'new' };
    } catch (error) {
      const key = requestKey(input.producer, input.customId);
      if (!isAwsErrorNamed(error, 'ConditionalCheckFailedException')) {
        throw this.#table.translate(error, 'PutItem', key);
      }
      const old = oldItemOfError(error) ?? (await this.#table.get(key));
      if (old === null) {
        // Deleted between our write and read (TTL sweep): the id is free again.
        return this.registerRequest(input);
      }
      return registrationOf(input, itemToRequest(old));
    }
  }

  /**
   * One conditional PutItem per entry, `writeConcurrency` in flight. Not a transaction: a
   * transactional write bills 2 write units per item where a plain one bills 1, the entries are
   * independent (each decides its own id), and the parallel puts keep the round trips short.
   */
  async registerRequests(inputs: readonly RegisterRequestInput[]): Promise<RegisterOutcome[]> {
    const settled = await mapWithConcurrency(inputs, this.#writeConcurrency, (input) =>
      this.registerRequest(input),
    );
    return settled.map((outcome) => {
      if (outcome.status === 'rejected') throw outcome.reason;
      return outcome.value;
    });
  }

  async markRefused(producer: string, customId: string): Promise<void> {
    // Not applied when an earlier try already marked it: nothing left to do.
    await this.#table.updateIf(requestKey(producer, customId), {
      ConditionExpression: '#state = :rejecting',
      UpdateExpression: 'SET #state = :rejected',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':rejecting': 'rejecting', ':rejected': 'rejected' },
    });
  }

  async markRealtime(producer: string, customId: string, requestHash: string): Promise<boolean> {
    const outcome = await this.#table.updateIf(requestKey(producer, customId), {
      ConditionExpression: '#state = :pending AND request_hash = :hash',
      UpdateExpression: 'SET #state = :realtime',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: {
        ':pending': 'pending',
        ':realtime': 'realtime',
        ':hash': requestHash,
      },
    });
    return outcome.applied;
  }
}

export { DynamoDbRequestLedger, type DynamoDbRequestLedgerOptions };
