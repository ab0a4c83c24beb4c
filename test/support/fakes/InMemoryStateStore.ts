import { ComposedStateStore } from '../../../shared/adapters/ComposedStateStore.js';
import type { StateStore } from '../../../shared/ports/StateStore.js';
import { InMemoryBatchFilling } from './InMemoryBatchFilling.js';
import { InMemoryBatchMembers } from './InMemoryBatchMembers.js';
import { InMemoryBatchRecords } from './InMemoryBatchRecords.js';
import { InMemoryBlobStore } from './InMemoryBlobStore.js';
import { InMemoryRealtimeLeases } from './InMemoryRealtimeLeases.js';
import { InMemoryRequestLedger } from './InMemoryRequestLedger.js';
import { InMemoryStateTable, type InMemoryStateTableOptions } from './InMemoryStateTable.js';

type InMemoryStateStoreOptions = InMemoryStateTableOptions;

/**
 * {@link StateStore} in memory, as `DynamoDbStateStore` behaves: the five state fakes over one
 * {@link InMemoryStateTable}, which keeps the adapters' items (through their codec, so records
 * read back exactly as they do from the table) and decides each write by the adapters'
 * conditions. A batch's members are its parts' sidecars in the given `BlobStore`. Every method
 * runs to completion without yielding between its condition and its write, so concurrent calls
 * are decided one at a time, as conditional writes are. `failNext` makes any method's next
 * calls fail, for callers' tests of what a crash or an outage leaves behind.
 */
class InMemoryStateStore extends ComposedStateStore<{
  readonly ledger: InMemoryRequestLedger;
  readonly records: InMemoryBatchRecords;
  readonly filling: InMemoryBatchFilling;
  readonly members: InMemoryBatchMembers;
  readonly leases: InMemoryRealtimeLeases;
}> {
  readonly table: InMemoryStateTable;

  constructor(options: InMemoryStateStoreOptions) {
    const table = new InMemoryStateTable(options);
    super({
      ledger: new InMemoryRequestLedger(table),
      records: new InMemoryBatchRecords(table),
      filling: new InMemoryBatchFilling(table),
      members: new InMemoryBatchMembers(table),
      leases: new InMemoryRealtimeLeases(table),
    });
    this.table = table;
  }

  /**
   * Makes the next `times` calls of `method` reject with `error` before they change anything,
   * as a throttled or unreachable table would (an error from `shared/domain/errors.ts`, e.g.
   * `UnavailableError`, so callers see what the adapter would throw them).
   */
  failNext(method: keyof StateStore, error: Error, times = 1): void {
    this.table.failNext(method, error, times);
  }
}

/**
 * The five state fakes over one fresh in-memory table and bucket, as the state contract suites
 * take them (`test/contract/stateFixtures.ts`), with `listItems` pages of 100.
 */
const inMemoryStatePorts = () => {
  const blobs = new InMemoryBlobStore();
  const { ledger, records, filling, members, leases } = new InMemoryStateStore({
    blobs,
    itemPageSize: 100,
  });
  return { ledger, records, filling, members, leases, blobs };
};

export { InMemoryStateStore, type InMemoryStateStoreOptions, inMemoryStatePorts };
