import { describeBatchFillingContract } from '../../contract/BatchFillingContract.js';
import { inMemoryStatePorts } from '../../support/fakes/InMemoryStateStore.js';

describeBatchFillingContract('InMemoryBatchFilling on the in-memory state table', () => {
  const ports = inMemoryStatePorts();
  return { ...ports, port: ports.filling };
});
