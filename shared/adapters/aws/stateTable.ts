import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { STATE_TABLE } from '../../config/stateTableSchema.js';
import { isAwsErrorNamed } from './isAwsErrorNamed.js';
import { translateAwsError } from './translateAwsError.js';

/**
 * CreateTable input of batchlane's single state table (on-demand), for local stacks and tests:
 * the same schema the CDK construct deploys.
 */
const stateTableDefinition = (tableName: string): CreateTableCommandInput => ({
  TableName: tableName,
  BillingMode: 'PAY_PER_REQUEST',
  AttributeDefinitions: [
    { AttributeName: STATE_TABLE.partitionKey, AttributeType: 'S' },
    { AttributeName: STATE_TABLE.sortKey, AttributeType: 'S' },
    { AttributeName: STATE_TABLE.indexPartitionKey, AttributeType: 'S' },
    { AttributeName: STATE_TABLE.indexSortKey, AttributeType: 'S' },
  ],
  KeySchema: [
    { AttributeName: STATE_TABLE.partitionKey, KeyType: 'HASH' },
    { AttributeName: STATE_TABLE.sortKey, KeyType: 'RANGE' },
  ],
  GlobalSecondaryIndexes: [
    {
      IndexName: STATE_TABLE.activeBatchesIndex,
      KeySchema: [
        { AttributeName: STATE_TABLE.indexPartitionKey, KeyType: 'HASH' },
        { AttributeName: STATE_TABLE.indexSortKey, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    },
  ],
});

/**
 * Creates the state table if it does not exist, waits until it is active and makes sure TTL
 * is enabled on its TTL attribute. Safe to call concurrently and repeatedly.
 */
const ensureStateTable = async (client: DynamoDBClient, tableName: string): Promise<void> => {
  const resource = tableName;
  try {
    try {
      await client.send(new DescribeTableCommand({ TableName: tableName }));
    } catch (error) {
      if (!isAwsErrorNamed(error, 'ResourceNotFoundException')) throw error;
      try {
        await client.send(new CreateTableCommand(stateTableDefinition(tableName)));
      } catch (createError) {
        // Another caller created it between our describe and create: that is the goal anyway.
        if (!isAwsErrorNamed(createError, 'ResourceInUseException')) throw createError;
      }
    }
    // The waiter's default minDelay (20 s) would also reject a maxWaitTime of 20 s or less.
    await waitUntilTableExists(
      { client, minDelay: 1, maxDelay: 5, maxWaitTime: 300 },
      { TableName: tableName },
    );
    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
    const status = ttl.TimeToLiveDescription?.TimeToLiveStatus;
    if (status !== 'ENABLED' && status !== 'ENABLING') {
      await client.send(
        new UpdateTimeToLiveCommand({
          TableName: tableName,
          TimeToLiveSpecification: { AttributeName: STATE_TABLE.ttlAttribute, Enabled: true },
        }),
      );
    }
  } catch (error) {
    throw translateAwsError(error, { operation: 'DynamoDB.ensureStateTable', resource });
  }
};

export { ensureStateTable, stateTableDefinition };
