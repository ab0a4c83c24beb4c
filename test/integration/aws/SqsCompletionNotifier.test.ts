import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../../shared/adapters/aws/createAwsClients.js';
import { SqsCompletionNotifier } from '../../../shared/adapters/aws/SqsCompletionNotifier.js';
import { NotFoundError } from '../../../shared/domain/errors.js';
import { createQueue, emulatorClients } from './awsTestKit.js';

let clients: AwsClients;

beforeAll(() => {
  clients = emulatorClients();
});

afterAll(() => clients.destroy());

const receive = async (queueUrl: string, visibilitySeconds: number) =>
  (
    await clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 1,
        VisibilityTimeout: visibilitySeconds,
        WaitTimeSeconds: 0,
      }),
    )
  ).Messages ?? [];

describe('SqsCompletionNotifier on fauxqs', () => {
  it('queues {batch_id} and brings a failed message back after the delay it is given', async () => {
    const queueUrl = await createQueue(clients, 'completion');
    const notifier = new SqsCompletionNotifier({ client: clients.sqs, queueUrl });
    await notifier.notifyEnded('bl_1');
    // Taken for ten minutes, as a long visibility timeout would.
    const [first] = await receive(queueUrl, 600);
    expect(JSON.parse(first?.Body ?? '')).toEqual({ batch_id: 'bl_1' });
    expect(await receive(queueUrl, 600)).toEqual([]);

    await notifier.retrySoon(first?.ReceiptHandle ?? '', 1);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const [again] = await receive(queueUrl, 600);
    expect(again?.MessageId).toBe(first?.MessageId);
  });

  it('reports a missing queue as NotFoundError', async () => {
    const notifier = new SqsCompletionNotifier({
      client: clients.sqs,
      queueUrl: `${(await createQueue(clients, 'x')).replace(/\/[^/]+$/, '')}/absent-queue`,
    });
    await expect(notifier.notifyEnded('bl_2')).rejects.toBeInstanceOf(NotFoundError);
  });
});
