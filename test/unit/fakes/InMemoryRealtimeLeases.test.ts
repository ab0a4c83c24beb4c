import { describeRealtimeLeasesContract } from '../../contract/RealtimeLeasesContract.js';
import { inMemoryStatePorts } from '../../support/fakes/InMemoryStateStore.js';

describeRealtimeLeasesContract('InMemoryRealtimeLeases on the in-memory state table', () => {
  const ports = inMemoryStatePorts();
  return { ...ports, port: ports.leases };
});
