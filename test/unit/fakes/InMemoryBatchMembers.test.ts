import { describeBatchMembersContract } from '../../contract/BatchMembersContract.js';
import { inMemoryStatePorts } from '../../support/fakes/InMemoryStateStore.js';

describeBatchMembersContract('InMemoryBatchMembers on the in-memory state table', () => {
  const ports = inMemoryStatePorts();
  return { ...ports, port: ports.members };
});
