import { describe, expect, it } from 'vitest';
import { createAwsClients } from '../../../shared/adapters/aws/createAwsClients.js';

describe('createAwsClients', () => {
  it('passes each explicit endpoint, the region and credentials from the env object', async () => {
    const clients = createAwsClients({
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'AKID',
      AWS_SECRET_ACCESS_KEY: 'SECRET',
      AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:4566',
      AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:4566',
      AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:8000',
      AWS_ENDPOINT_URL_EVENTBRIDGE: 'http://127.0.0.1:4010',
    });
    try {
      const hostOf = async (config: {
        endpoint?: () => Promise<{ hostname?: string; port?: number }>;
      }) => {
        const endpoint = await config.endpoint?.();
        return `${endpoint?.hostname}:${endpoint?.port}`;
      };
      expect(await hostOf(clients.sqs.config)).toBe('127.0.0.1:4566');
      expect(await hostOf(clients.s3.config)).toBe('127.0.0.1:4566');
      expect(await hostOf(clients.dynamodb.config)).toBe('127.0.0.1:8000');
      expect(await hostOf(clients.eventBridge.config)).toBe('127.0.0.1:4010');
      expect(clients.s3.config.forcePathStyle).toBe(true);
      expect(await clients.sqs.config.region()).toBe('eu-west-1');
      expect(await clients.dynamodb.config.credentials()).toMatchObject({
        accessKeyId: 'AKID',
        secretAccessKey: 'SECRET',
      });
    } finally {
      clients.destroy();
    }
  });

  it('uses AWS defaults (no endpoint, virtual-hosted S3) when no endpoint is given', async () => {
    const clients = createAwsClients({ AWS_REGION: 'us-east-2' });
    try {
      expect(clients.sqs.config.endpoint).toBeUndefined();
      expect(clients.s3.config.forcePathStyle).toBe(false);
      expect(await clients.s3.config.region()).toBe('us-east-2');
    } finally {
      clients.destroy();
    }
  });
});
