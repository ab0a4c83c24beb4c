import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { mapWithConcurrency } from '../../../domain/mapWithConcurrency.js';
import type {
  RegisterOutcome,
  RegisterRequestInput,
  RequestLedger,
} from '../../../ports/RequestLedger.js';
import { isAwsErrorNamed } from '../isAwsErrorNamed.js';
import { requestKey } from '../stateItemCodec.js';
import {
  MARK_REFUSED_UPDATE,
  markRealtimeUpdate,
  refusedRegistrationOf,
  registerPut,
} from './requestLedgerRules.js';
import { oldItemOfError, StateTableAccess, type StateTableOptions } from './StateTableAccess.js';

interface DynamoDbRequestLedgerOptions extends StateTableOptions {
  /** Parallel PutItem calls in `registerRequests` (default 16). */
  readonly writeConcurrency?: number;
}

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

  /**
   * One conditional PutItem (see `requestLedgerRules.ts`); when refused, what it found is
   * judged by `registrationDecisionOf`, the rule the fake applies.
   */
  async registerRequest(input: RegisterRequestInput): Promise<RegisterOutcome> {
    try {
      await this.#table.client.send(new PutCommand(registerPut(this.#table.tableName, input)));
      return { kind: 'new' };
    } catch (error) {
      const key = requestKey(input.producer, input.customId);
      if (!isAwsErrorNamed(error, 'ConditionalCheckFailedException')) {
        throw this.#table.translate(error, 'PutItem', key);
      }
      const returned = oldItemOfError(error);
      const found =
        returned === null
          ? { entry: await this.#table.get(key), evaluated: false }
          : { entry: returned, evaluated: true };
      const outcome = refusedRegistrationOf(input, found);
      // Deleted between our write and read (TTL sweep): the id is free again.
      return outcome === 'retry' ? this.registerRequest(input) : outcome;
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
    await this.#table.updateIf(requestKey(producer, customId), MARK_REFUSED_UPDATE);
  }

  async markRealtime(producer: string, customId: string, requestHash: string): Promise<boolean> {
    const outcome = await this.#table.updateIf(
      requestKey(producer, customId),
      markRealtimeUpdate(requestHash),
    );
    return outcome.applied;
  }
}

export { DynamoDbRequestLedger, type DynamoDbRequestLedgerOptions };
