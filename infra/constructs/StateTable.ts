import { RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  ProjectionType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';

/** Name of the sparse index of batches still in flight; the poller queries it. */
const ACTIVE_BATCHES_INDEX = 'active-batches';

/**
 * The single DynamoDB table holding requests, batches and the idempotency ledger. The key
 * schema is a contract with the runtime code: `pk`/`sk`, the `active-batches` index on
 * `gsi1pk`/`gsi1sk`, and TTL on `expires_at`.
 */
class StateTable extends Construct {
  public readonly table: Table;
  /** Names of the table's global secondary indexes (functions may query each). */
  public readonly indexNames: readonly string[] = [ACTIVE_BATCHES_INDEX];

  public constructor(scope: Construct, id: string) {
    super(scope, id);
    this.table = new Table(this, 'Table', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: 'expires_at',
      // Holds in-flight batches and delivery marks; losing it loses results, so keep it.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: ACTIVE_BATCHES_INDEX,
      partitionKey: { name: 'gsi1pk', type: AttributeType.STRING },
      sortKey: { name: 'gsi1sk', type: AttributeType.STRING },
      projectionType: ProjectionType.ALL,
    });
  }
}

export { ACTIVE_BATCHES_INDEX, StateTable };
