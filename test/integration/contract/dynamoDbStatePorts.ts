import { DynamoDbStateStore } from '../../../shared/adapters/aws/DynamoDbStateStore.js';
import { S3BlobStore } from '../../../shared/adapters/aws/S3BlobStore.js';
import { ensureStateTable } from '../../../shared/adapters/aws/stateTable.js';
import { createBucket, emulatorClients, uniqueName } from '../aws/awsTestKit.js';

/**
 * The five state adapters over a fresh table on DynamoDB Local and a fresh bucket on fauxqs
 * (a table and a bucket per case: each case's ports start empty, as the contracts ask), with
 * `listItems` pages of 100, and how to let go of the clients; the document client and table
 * name for tests that read or write items under the ports.
 */
const dynamoDbStatePorts = async () => {
  const clients = emulatorClients();
  const tableName = uniqueName('state-contract');
  await ensureStateTable(clients.dynamodb, tableName);
  const blobs = new S3BlobStore({
    client: clients.s3,
    bucket: await createBucket(clients, 'state-contract'),
  });
  const { ledger, records, filling, members, leases } = new DynamoDbStateStore({
    client: clients.documentClient,
    tableName,
    blobs,
    itemPageSize: 100,
  });
  return {
    ledger,
    records,
    filling,
    members,
    leases,
    blobs,
    documentClient: clients.documentClient,
    tableName,
    close: () => clients.destroy(),
  };
};

export { dynamoDbStatePorts };
