import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../../shared/adapters/aws/createAwsClients.js';
import { DynamoDbWebhookReceipts } from '../../../shared/adapters/aws/DynamoDbWebhookReceipts.js';
import { ensureStateTable } from '../../../shared/adapters/aws/stateTable.js';
import { STATE_TABLE } from '../../../shared/config/stateTableSchema.js';
import { describeWebhookReceiptsContract } from '../../contract/WebhookReceiptsContract.js';
import { emulatorClients, uniqueName } from '../aws/awsTestKit.js';

let clients: AwsClients;
let tableName: string;

beforeAll(async () => {
  clients = emulatorClients();
  tableName = uniqueName('receipts');
  await ensureStateTable(clients.dynamodb, tableName);
});

afterAll(() => clients.destroy());

describeWebhookReceiptsContract(
  'DynamoDB Local',
  (nowSeconds) =>
    new DynamoDbWebhookReceipts({ client: clients.documentClient, tableName, nowSeconds }),
);

describe('DynamoDbWebhookReceipts items', () => {
  it('writes one small item per webhook, with the TTL DynamoDB deletes it by', async () => {
    const receipts = new DynamoDbWebhookReceipts({ client: clients.documentClient, tableName });
    await receipts.claim('openai', 'wh_item', 1_900_000_000);
    const { Item } = await clients.documentClient.send(
      new GetCommand({ TableName: tableName, Key: { pk: 'PUSH#openai#wh_item', sk: 'PUSH' } }),
    );
    expect(Item).toEqual({
      [STATE_TABLE.partitionKey]: 'PUSH#openai#wh_item',
      [STATE_TABLE.sortKey]: 'PUSH',
      [STATE_TABLE.ttlAttribute]: 1_900_000_000,
    });
  });
});
