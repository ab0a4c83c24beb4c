import { DynamoDbStateStore } from '../../../shared/adapters/aws/DynamoDbStateStore.js';
import { S3BlobStore } from '../../../shared/adapters/aws/S3BlobStore.js';
import { ensureStateTable } from '../../../shared/adapters/aws/stateTable.js';
import { describeStateStoreContract } from '../../contract/StateStoreContract.js';
import { createBucket, emulatorClients, uniqueName } from '../aws/awsTestKit.js';

// A table and a bucket per case: each case's store starts empty, as the contract asks.
describeStateStoreContract('DynamoDbStateStore on DynamoDB Local, sidecars on fauxqs', async () => {
  const clients = emulatorClients();
  const tableName = uniqueName('state-contract');
  await ensureStateTable(clients.dynamodb, tableName);
  const blobs = new S3BlobStore({
    client: clients.s3,
    bucket: await createBucket(clients, 'state-contract'),
  });
  return {
    port: new DynamoDbStateStore({
      client: clients.documentClient,
      tableName,
      blobs,
      itemPageSize: 100,
    }),
    blobs,
    close: () => clients.destroy(),
  };
});
