import { itemToRequest, requestToItem } from '../../../shared/adapters/aws/stateItemCodec.js';
import { ledgerIdOf } from '../../../shared/domain/producer.js';
import type { RequestRecord } from '../../../shared/domain/records.js';
import type {
  RegisterOutcome,
  RegisterRequestInput,
  RequestLedger,
} from '../../../shared/ports/RequestLedger.js';
import { InMemoryStatePort } from './InMemoryStateTable.js';

/**
 * {@link RequestLedger} in memory, as `DynamoDbRequestLedger` behaves. Its entries are the
 * shared table's: a member claimed through `InMemoryBatchFilling` is in this ledger.
 */
class InMemoryRequestLedger extends InMemoryStatePort<RequestLedger> implements RequestLedger {
  async registerRequest(input: RegisterRequestInput): Promise<RegisterOutcome> {
    this.table.failIfAsked('registerRequest');
    return this.#register(input);
  }

  #register(input: RegisterRequestInput): RegisterOutcome {
    const id = this.table.storableLedgerId(input.producer, input.customId);
    const existing = this.table.ledgerEntry(id);
    const takesOver =
      existing === undefined ||
      (input.state === 'pending' &&
        (existing.state === 'rejecting' || existing.state === 'rejected'));
    if (takesOver) {
      const record: RequestRecord = {
        producer: input.producer,
        customId: input.customId,
        requestHash: input.requestHash,
        state: input.state,
        batchId: null,
        acceptedAt: input.acceptedAt,
        expiresAt: input.expiresAt,
      };
      this.table.ledger.set(id, requestToItem(record));
      return { kind: 'new' };
    }
    const record = itemToRequest(existing);
    if (record.requestHash !== input.requestHash) return { kind: 'conflict', existing: record };
    if (record.state === 'pending') return { kind: 'pending', existing: record };
    return { kind: 'duplicate', existing: record };
  }

  async registerRequests(inputs: readonly RegisterRequestInput[]): Promise<RegisterOutcome[]> {
    this.table.failIfAsked('registerRequests');
    return inputs.map((input) => this.#register(input));
  }

  async markRefused(producer: string, customId: string): Promise<void> {
    this.table.failIfAsked('markRefused');
    const entry = this.table.ledgerEntry(ledgerIdOf(producer, customId));
    if (entry?.state === 'rejecting') entry.state = 'rejected';
  }

  async markRealtime(producer: string, customId: string, requestHash: string): Promise<boolean> {
    this.table.failIfAsked('markRealtime');
    const entry = this.table.ledgerEntry(ledgerIdOf(producer, customId));
    if (entry?.state !== 'pending' || entry.request_hash !== requestHash) return false;
    entry.state = 'realtime';
    return true;
  }
}

export { InMemoryRequestLedger };
