import { ComposedStateStore } from '../ComposedStateStore.js';
import { DynamoDbBatchFilling } from './state/DynamoDbBatchFilling.js';
import {
  DynamoDbBatchMembers,
  type DynamoDbBatchMembersOptions,
} from './state/DynamoDbBatchMembers.js';
import { DynamoDbBatchRecords } from './state/DynamoDbBatchRecords.js';
import { DynamoDbRealtimeLeases } from './state/DynamoDbRealtimeLeases.js';
import { DynamoDbRequestLedger } from './state/DynamoDbRequestLedger.js';

/** Constructor options of {@link DynamoDbStateStore}: those of its five parts. */
type DynamoDbStateStoreOptions = DynamoDbBatchMembersOptions;

/**
 * `StateStore` on one DynamoDB table (schema in `config/stateTableSchema.ts`): the five state
 * ports' adapters over the same table and bucket, each answering its own methods (see each
 * adapter in `state/` for the items it keeps). What one writes, the others read.
 */
class DynamoDbStateStore extends ComposedStateStore<{
  readonly ledger: DynamoDbRequestLedger;
  readonly records: DynamoDbBatchRecords;
  readonly filling: DynamoDbBatchFilling;
  readonly members: DynamoDbBatchMembers;
  readonly leases: DynamoDbRealtimeLeases;
}> {
  constructor(options: DynamoDbStateStoreOptions) {
    super({
      ledger: new DynamoDbRequestLedger(options),
      records: new DynamoDbBatchRecords(options),
      filling: new DynamoDbBatchFilling(options),
      members: new DynamoDbBatchMembers(options),
      leases: new DynamoDbRealtimeLeases(options),
    });
  }
}

export { DynamoDbStateStore, type DynamoDbStateStoreOptions };
