import { PutObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll } from 'vitest';
import { DynamoDbCostLedger } from '../../../shared/adapters/aws/DynamoDbCostLedger.js';
import { DynamoDbStatusReader } from '../../../shared/adapters/aws/DynamoDbStatusReader.js';
import { batchToItem } from '../../../shared/adapters/aws/stateItemCodec.js';
import { ensureStateTable } from '../../../shared/adapters/aws/stateTable.js';
import { describeStatusReaderContract } from '../../contract/StatusReaderContract.js';
import { createBucket, createQueue, emulatorClients, uniqueName } from '../aws/awsTestKit.js';

const clients = emulatorClients();
afterAll(() => clients.destroy());

// Each test gets its own table, bucket and queue, written as the pipeline writes them (batch
// records by the state layer's codec, costs by the ledger) and read back by the adapter.
describeStatusReaderContract('DynamoDB, S3 and SQS adapter', async () => {
  const tableName = uniqueName('status');
  await ensureStateTable(clients.dynamodb, tableName);
  const bucket = await createBucket(clients, 'status');
  const intakeQueueUrl = await createQueue(clients, 'status-intake');
  const costs = new DynamoDbCostLedger({ client: clients.documentClient, tableName });
  const reader = new DynamoDbStatusReader({
    documentClient: clients.documentClient,
    s3: clients.s3,
    sqs: clients.sqs,
    tableName,
    bucket,
    intakeQueueUrl,
    costs,
  });
  return {
    reader,
    putBatches: async (records) => {
      for (let start = 0; start < records.length; start += 25) {
        await clients.documentClient.send(
          new BatchWriteCommand({
            RequestItems: {
              [tableName]: records
                .slice(start, start + 25)
                .map((r) => ({ PutRequest: { Item: batchToItem(r) } })),
            },
          }),
        );
      }
    },
    putCosts: (entries) => costs.record(entries),
    putParked: async (key, body) => {
      await clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    },
    putIntake: async (waiting, delayed) => {
      const entries = [
        ...Array.from({ length: waiting }, (_, n) => ({ Id: `w${n}`, MessageBody: '{}' })),
        ...Array.from({ length: delayed }, (_, n) => ({
          Id: `d${n}`,
          MessageBody: '{}',
          DelaySeconds: 600,
        })),
      ];
      await clients.sqs.send(
        new SendMessageBatchCommand({ QueueUrl: intakeQueueUrl, Entries: entries }),
      );
    },
  };
});
