import type { MetadataBearer, MiddlewareStack } from '@smithy/types';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type AwsClients,
  createAwsClients,
} from '../../../shared/adapters/aws/createAwsClients.js';
import { createRuntime } from '../../../shared/composition/createRuntime.js';
import { ENV } from '../../../shared/config/BatchlaneConfig.js';

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
});
