import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { S3ClaimCheckReader } from '../../../shared/adapters/aws/S3ClaimCheckReader.js';
import { describeClaimCheckReaderContract } from '../../contract/ClaimCheckReaderContract.js';
import { createBucket, emulatorClients } from '../aws/awsTestKit.js';

describeClaimCheckReaderContract('S3ClaimCheckReader on fauxqs', async () => {
  const clients = emulatorClients();
  const bucket = await createBucket(clients, 'contract-claims');
  // Nothing listens on port 9 of loopback: every request is refused at once.
  const deadS3 = new S3Client({
    endpoint: 'http://127.0.0.1:9',
    region: 'us-east-1',
    forcePathStyle: true,
    maxAttempts: 1,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  return {
    port: new S3ClaimCheckReader({ client: clients.s3, bucket }),
    store: async (key, body) => {
      await clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    },
    unreachable: new S3ClaimCheckReader({ client: deadS3, bucket }),
    close: () => {
      deadS3.destroy();
      clients.destroy();
    },
  };
});
