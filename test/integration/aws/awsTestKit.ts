import { randomUUID } from 'node:crypto';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { inject } from 'vitest';
import {
  type AwsClients,
  createAwsClients,
} from '../../../shared/adapters/aws/createAwsClients.js';
import type { ResultV1 } from '../../../shared/contract/result.js';

/** Clients on the emulators the global setup started. */
const emulatorClients = (): AwsClients => createAwsClients(inject('awsEnv'));

/** A name no other test uses (emulator state lives for the whole run). */
const uniqueName = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 8)}`;

const createBucket = async (clients: AwsClients, prefix: string): Promise<string> => {
  const bucket = uniqueName(prefix);
  await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  return bucket;
};

/** Creates a queue and returns the URL fauxqs gave (it matches queues by exact URL). */
const createQueue = async (clients: AwsClients, prefix: string): Promise<string> => {
  const created = await clients.sqs.send(new CreateQueueCommand({ QueueName: uniqueName(prefix) }));
  if (created.QueueUrl === undefined) throw new Error('CreateQueue returned no QueueUrl');
  return created.QueueUrl;
};

/** Receives until the queue is empty or `expected` bodies were read. */
const drainQueue = async (
  sqs: SQSClient,
  queueUrl: string,
  expected: number,
): Promise<string[]> => {
  const bodies: string[] = [];
  for (let empty = 0; bodies.length < expected && empty < 3; ) {
    const response = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
      }),
    );
    const messages = response.Messages ?? [];
    if (messages.length === 0) empty++;
    for (const message of messages) bodies.push(message.Body ?? '');
  }
  return bodies;
};

const sampleResult = (customId: string, overrides: Partial<ResultV1> = {}): ResultV1 => ({
  schema: 'batchlane.result.v1',
  custom_id: customId,
  status: 'succeeded',
  provider: 'anthropic',
  endpoint: '/v1/messages',
  model: 'claude-test',
  batch_id: 'b-1',
  provider_batch_id: 'msgbatch_1',
  response: { content: [{ type: 'text', text: `answer for ${customId} — “quoted”` }] },
  error: null,
  usage: {
    input_tokens: 10,
    output_tokens: 20,
    cache_read_input_tokens: 0,
    cache_creation_input_tokens: 0,
  },
  cost: {
    usd: 0.00016,
    realtime_usd: 0.00032,
    saved_usd: 0.00016,
    basis: 'usage',
    billed_as: 'batch',
    price_version: 'test',
  },
  lane: { requested: 'batch', served_by: 'batch', reason: 'tier batch' },
  attempts: 1,
  metadata: { ticket: customId },
  accepted_at: '2026-11-26T10:00:00.000Z',
  submitted_at: '2026-11-26T10:01:00.000Z',
  ended_at: '2026-11-26T11:00:00.000Z',
  delivered_at: '2026-11-26T11:01:00.000Z',
  ...overrides,
});

/** A result whose JSON is about `bytes` long, to cross message size limits. */
const largeResult = (customId: string, bytes: number): ResultV1 =>
  sampleResult(customId, { response: { text: 'x'.repeat(bytes) } });

export {
  createBucket,
  createQueue,
  drainQueue,
  emulatorClients,
  largeResult,
  sampleResult,
  uniqueName,
};
