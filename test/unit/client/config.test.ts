import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { clientOptionsFromDevFile, clientOptionsFromStackOutputs } from '../../../client/config.js';

const dir = mkdtempSync(join(tmpdir(), 'batchlane-client-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('client options', () => {
  it("reads a deployed stack's outputs file", () => {
    const file = join(dir, 'outputs.json');
    writeFileSync(
      file,
      JSON.stringify({
        Batchlane: {
          IntakeQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/intake',
          ArtifactsBucketName: 'batchlane-artifacts-x',
          EnabledProviders: 'anthropic,openai,acme,Not a provider',
          DestinationAllowList: 'sqs:arn:aws:sqs:eu-west-1:123456789012:results',
          StateTableName: 'ignored',
        },
      }),
    );
    expect(clientOptionsFromStackOutputs(file)).toEqual({
      queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/intake',
      claimCheckBucket: 'batchlane-artifacts-x',
      // A profile of the deployment's own is kept; what no provider id can be is dropped.
      enabledProviders: ['anthropic', 'openai', 'acme'],
      destinationAllowList: 'sqs:arn:aws:sqs:eu-west-1:123456789012:results',
    });
    expect(() => clientOptionsFromStackOutputs(file, 'Other')).toThrow();
  });

  it('reads the dev file of `batchlane dev`: clients on its emulators', async () => {
    const file = join(dir, 'dev.json');
    writeFileSync(
      file,
      JSON.stringify({
        intake_queue_url: 'http://sqs.us-east-1.localhost:4566/000000000000/batchlane-intake',
        artifacts_bucket: 'batchlane-artifacts',
        destination_allow_list: '*',
        env: {
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: 'test',
          AWS_SECRET_ACCESS_KEY: 'test',
          AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:4566',
          AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:4567',
        },
        pid: 1,
      }),
    );
    const options = clientOptionsFromDevFile(file);
    expect(options).toMatchObject({
      queueUrl: 'http://sqs.us-east-1.localhost:4566/000000000000/batchlane-intake',
      claimCheckBucket: 'batchlane-artifacts',
      destinationAllowList: '*',
      allowPrivateWebhooks: true,
      region: 'us-east-1',
      // The local stack sees a client as the local account: claim checks go under its prefix.
      producer: '000000000000',
    });
    const sqsEndpoint = await options.sqs?.config.endpoint?.();
    expect(sqsEndpoint?.hostname).toBe('127.0.0.1');
    expect(sqsEndpoint?.port).toBe(4566);
    expect(options.s3?.config.forcePathStyle).toBe(true);
    options.sqs?.destroy();
    options.s3?.destroy();
  });
});
