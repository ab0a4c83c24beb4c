import { describeRequestLedgerContract } from '../../contract/RequestLedgerContract.js';
import { inMemoryStatePorts } from '../../support/fakes/InMemoryStateStore.js';

describeRequestLedgerContract('InMemoryRequestLedger on the in-memory state table', () => {
  const ports = inMemoryStatePorts();
  return { ...ports, port: ports.ledger };
});
