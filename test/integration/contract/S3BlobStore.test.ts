import { S3BlobStore } from '../../../shared/adapters/aws/S3BlobStore.js';
import { describeBlobStoreContract } from '../../contract/BlobStoreContract.js';
import { createBucket, emulatorClients } from '../aws/awsTestKit.js';

describeBlobStoreContract('S3BlobStore on fauxqs', async () => {
  const clients = emulatorClients();
  const bucket = await createBucket(clients, 'contract-blobs');
  return {
    port: new S3BlobStore({ client: clients.s3, bucket, keyPrefix: 'env/' }),
    close: () => clients.destroy(),
  };
});
