/**
 * The schema of batchlane's single DynamoDB state table, declared once: the CDK construct
 * creates the table from it, the local stack and tests create the same table from it, and the
 * DynamoDB adapters read and write items by these names.
 */
const STATE_TABLE = {
  /** Partition key (string): `REQ#<custom_id>`, `BATCH#<id>`, `FILL#<group>`, `COST#<day>`… */
  partitionKey: 'pk',
  /** Sort key (string): the kind of item within its partition. */
  sortKey: 'sk',
  /** The sparse index of batches still in flight; the poller queries it. */
  activeBatchesIndex: 'active-batches',
  /** Partition key (string) of the active-batches index: set only while a batch is active. */
  indexPartitionKey: 'gsi1pk',
  /** Sort key (string) of the active-batches index: when the batch is next due. */
  indexSortKey: 'gsi1sk',
  /** The one value of `indexPartitionKey`, on every batch still in flight. */
  activePartition: 'ACTIVE',
  /** Epoch seconds after which DynamoDB may delete the item. */
  ttlAttribute: 'expires_at',
} as const;

/** Every global secondary index of the table (functions may query each). */
const STATE_TABLE_INDEXES: readonly string[] = [STATE_TABLE.activeBatchesIndex];

export { STATE_TABLE, STATE_TABLE_INDEXES };
