import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import type { MetadataBearer, MiddlewareStack } from '@smithy/types';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type AwsClients,
  createAwsClients,
} from '../../../shared/adapters/aws/createAwsClients.js';
import { createReceiverRuntime } from '../../../shared/composition/createReceiverRuntime.js';
import { createRuntime } from '../../../shared/composition/createRuntime.js';
import { ENV } from '../../../shared/config/BatchlaneConfig.js';
import { PUSH_ENV } from '../../../shared/config/pushConfig.js';

const env = {
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'AKID',
  AWS_SECRET_ACCESS_KEY: 'SECRET',
  [ENV.tableName]: 'state',
  [ENV.bucketName]: 'artifacts',
  [ENV.eventBusName]: 'bus',
  [ENV.completionQueueUrl]: 'https://sqs.eu-west-1.amazonaws.com/123456789012/completion',
  [ENV.realtimeQueueUrl]: 'https://sqs.eu-west-1.amazonaws.com/123456789012/realtime',
  [ENV.intakeQueueUrl]: 'https://sqs.eu-west-1.amazonaws.com/123456789012/intake',
  [ENV.anthropicApiKey]: 'sk-ant-test',
  [ENV.openaiApiKey]: 'sk-test',
};

/** Clients that record every command they are asked to send and send none. */
const recordingClients = (): { aws: AwsClients; sent: string[] } => {
  const aws = createAwsClients(env);
  const sent: string[] = [];
  const clients = [
    ['SQS', aws.sqs],
    ['S3', aws.s3],
    ['DynamoDB', aws.dynamodb],
    ['EventBridge', aws.eventBridge],
  ] as const;
  for (const [service, client] of clients) {
    const stack = client.middlewareStack as unknown as MiddlewareStack<object, MetadataBearer>;
    stack.add(
      (_next, context) => async () => {
        sent.push(`${service}.${context.commandName}`);
        throw new Error('not sent');
      },
      { step: 'initialize' },
    );
  }
  return { aws, sent };
};

let open: AwsClients | undefined;
afterEach(() => {
  open?.destroy();
  open = undefined;
});

describe('Function: createRuntime()', () => {
  it('builds every AWS-backed dep on the clients it is given', async () => {
    const { aws, sent } = recordingClients();
    open = aws;
    const { deps } = await createRuntime(env, 'test', { aws });
    const attempts: Promise<unknown>[] = [
      deps.store.getBatch('bl_1'),
      deps.blobs.exists('k'),
      deps.costs
        .entries({ since: '2026-11-26', until: '2026-11-26' })
        [Symbol.asyncIterator]()
        .next(),
      deps.completion.notifyEnded('bl_1'),
      deps.events.publish([
        {
          detailType: 'Batch Ended',
          detail: {},
        } as unknown as Parameters<typeof deps.events.publish>[0][number],
      ]),
    ];
    await Promise.allSettled(attempts);
    expect(new Set(sent.map((name) => name.split('.')[0]))).toEqual(
      new Set(['SQS', 'S3', 'DynamoDB', 'EventBridge']),
    );
    expect(sent).toContain('DynamoDB.GetItemCommand');
    expect(sent).toContain('S3.HeadObjectCommand');
  });

  it('makes its own clients from the environment when given none', async () => {
    const runtime = await createRuntime(env, 'test');
    expect(runtime.config.tableName).toBe('state');
    expect(runtime.deps.realtime).not.toBeNull();
    expect(runtime.deps.requeue).not.toBeNull();
  });

  it('writes Bedrock job files to the bucket the configuration names, at its own endpoint', async () => {
    // Prepare: an S3 endpoint that records what it is asked, beside the emulator-free env.
    const asked: string[] = [];
    const s3 = createServer((req, res) => {
      asked.push(`${req.method} ${req.url?.split('?')[0]}`);
      req.resume();
      req.on('end', () => res.writeHead(503, { 'content-type': 'application/xml' }).end());
    });
    await new Promise<void>((resolve) => s3.listen(0, '127.0.0.1', resolve));
    const { port } = s3.address() as AddressInfo;
    try {
      const runtime = await createRuntime(
        {
          ...env,
          [ENV.bedrockRoleArn]: 'arn:aws:iam::123456789012:role/bedrock-batch',
          [ENV.bedrockJobBucket]: 'real-jobs',
          [ENV.bedrockJobS3Endpoint]: `http://127.0.0.1:${port}`,
          AWS_MAX_ATTEMPTS: '1',
        },
        'test',
      );
      const bedrock = runtime.deps.providers.bedrock;
      if (bedrock === undefined) throw new Error('Bedrock is not configured');

      // Act: the submission writes the job's input first; the endpoint refuses it.
      await expect(
        bedrock.submit({
          batchId: 'bl_real',
          endpoint: '/model/invoke',
          openInput: async () => Readable.from(['{"custom_id":"r000000","modelInput":{}}\n']),
          requestCount: 1,
          inputBytes: 40,
          models: ['anthropic.claude-3-haiku-20240307-v1:0'],
        }),
      ).rejects.toThrow(/S3\.PutObject/);

      // Assess: the input went to the named bucket, not the artifacts bucket.
      expect(asked[0]).toMatch(/^PUT \/real-jobs\/bedrock\/bl_real\//);
      expect(asked.some((line) => line.includes('/artifacts/'))).toBe(false);
    } finally {
      await new Promise<void>((resolve) => s3.close(() => resolve()));
    }
  });

  it('refuses an endpoint for Bedrock job files without their bucket', async () => {
    await expect(
      createRuntime(
        {
          ...env,
          [ENV.bedrockRoleArn]: 'arn:aws:iam::123456789012:role/bedrock-batch',
          [ENV.bedrockJobS3Endpoint]: 'http://127.0.0.1:1',
        },
        'test',
      ),
    ).rejects.toThrow(/BATCHLANE_BEDROCK_JOB_S3_ENDPOINT is set without/);
  });
});

describe('Function: createReceiverRuntime()', () => {
  it('builds only the providers that push webhooks, whatever else the deployment enables', async () => {
    const receiver = await createReceiverRuntime(
      {
        ...env,
        [ENV.enabledProviders]: 'anthropic,openai,gemini,mistral',
        [ENV.geminiApiKey]: 'gemini-test',
        [ENV.mistralApiKey]: 'mistral-test',
        [PUSH_ENV.secrets]: JSON.stringify({ openai: `whsec_${'a'.repeat(32)}` }),
      },
      'receiver-test',
    );
    expect(receiver.runtime.config.enabledProviders).toEqual(['openai', 'gemini']);
    // Every other provider is the disabled stand-in: its key was never looked for.
    await expect(receiver.deps.providers.anthropic?.retrieve('msgbatch_1')).rejects.toMatchObject({
      code: 'provider_disabled',
    });
    await expect(receiver.deps.providers.mistral?.retrieve('job_1')).rejects.toMatchObject({
      code: 'provider_disabled',
    });
    expect(receiver.deps.providers.openai?.name).toBe('openai');
  });
});
