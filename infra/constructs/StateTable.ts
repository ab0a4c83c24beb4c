import { RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  ProjectionType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { STATE_TABLE, STATE_TABLE_INDEXES } from '../../shared/config/stateTableSchema.js';

/**
 * The single DynamoDB table holding requests, batches and the idempotency ledger. Its keys,
 * index and TTL attribute come from `STATE_TABLE`, the schema the runtime code reads too.
 */
class StateTable extends Construct {
  public readonly table: Table;
  /** Names of the table's global secondary indexes (functions may query each). */
  public readonly indexNames: readonly string[] = STATE_TABLE_INDEXES;

  public constructor(scope: Construct, id: string) {
    super(scope, id);
    this.table = new Table(this, 'Table', {
      partitionKey: { name: STATE_TABLE.partitionKey, type: AttributeType.STRING },
      sortKey: { name: STATE_TABLE.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: STATE_TABLE.ttlAttribute,
      // Holds in-flight batches and delivery marks; losing it loses results, so keep it.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: STATE_TABLE.activeBatchesIndex,
      partitionKey: { name: STATE_TABLE.indexPartitionKey, type: AttributeType.STRING },
      sortKey: { name: STATE_TABLE.indexSortKey, type: AttributeType.STRING },
      projectionType: ProjectionType.ALL,
    });
  }
}

export { StateTable };
