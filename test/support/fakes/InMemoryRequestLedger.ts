import {
  marksRealtime,
  marksRefused,
  registeredRecordOf,
  registrationDecisionOf,
} from '../../../shared/adapters/aws/state/requestLedgerRules.js';
import { requestToItem } from '../../../shared/adapters/aws/stateItemCodec.js';
import { ledgerIdOf } from '../../../shared/domain/producer.js';
import type {
  RegisterOutcome,
  RegisterRequestInput,
  RequestLedger,
} from '../../../shared/ports/RequestLedger.js';
import { InMemoryStatePort } from './InMemoryStateTable.js';

/**
 * {@link RequestLedger} in memory, as `DynamoDbRequestLedger` behaves: each write decided by the
 * adapter's own rule (`requestLedgerRules.ts`) applied to the map. Its entries are the shared
 * table's: a member claimed through `InMemoryBatchFilling` is in this ledger.
 */
class InMemoryRequestLedger extends InMemoryStatePort<RequestLedger> implements RequestLedger {
  async registerRequest(input: RegisterRequestInput): Promise<RegisterOutcome> {
    this.table.failIfAsked('registerRequest');
    return this.#register(input);
  }

  #register(input: RegisterRequestInput): RegisterOutcome {
    const id = this.table.storableLedgerId(input.producer, input.customId);
    const outcome = registrationDecisionOf(input, this.table.ledgerEntry(id));
    if (outcome.kind === 'new') this.table.ledger.set(id, requestToItem(registeredRecordOf(input)));
    return outcome;
  }

  async registerRequests(inputs: readonly RegisterRequestInput[]): Promise<RegisterOutcome[]> {
    this.table.failIfAsked('registerRequests');
    return inputs.map((input) => this.#register(input));
  }

  async markRefused(producer: string, customId: string): Promise<void> {
    this.table.failIfAsked('markRefused');
    const entry = this.table.ledgerEntry(ledgerIdOf(producer, customId));
    if (entry !== undefined && marksRefused(entry)) entry.state = 'rejected';
  }

  async markRealtime(producer: string, customId: string, requestHash: string): Promise<boolean> {
    this.table.failIfAsked('markRealtime');
    const entry = this.table.ledgerEntry(ledgerIdOf(producer, customId));
    if (entry === undefined || !marksRealtime(entry, requestHash)) return false;
    entry.state = 'realtime';
    return true;
  }
}

export { InMemoryRequestLedger };
