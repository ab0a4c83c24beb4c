import { describeBatchRecordsContract } from '../../contract/BatchRecordsContract.js';
import { inMemoryStatePorts } from '../../support/fakes/InMemoryStateStore.js';

describeBatchRecordsContract('InMemoryBatchRecords on the in-memory state table', () => {
  const ports = inMemoryStatePorts();
  return { ...ports, port: ports.records };
});
