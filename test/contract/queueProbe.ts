import { setTimeout as sleep } from 'node:timers/promises';
import { DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { FakeClock } from '../support/fakes/FakeClock.js';
import type { InMemoryQueue } from '../support/fakes/InMemoryQueue.js';

/** A message as the consuming function receives it. */
interface ProbedMessage {
  readonly body: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly receiptHandle: string;
  readonly receiveCount: number;
}

/** What a contract sees of the queue a port sends to: what is visible now, and time passing. */
interface QueueProbe {
  /** Every message visible now, each received once and then hidden for 30 s. */
  receive(): Promise<ProbedMessage[]>;
  /** Deletes a received message. */
  delete(message: ProbedMessage): Promise<void>;
  /** Lets `seconds` pass (a fake clock moves; a real queue is waited for). */
  elapse(seconds: number): Promise<void>;
}

const inMemoryProbe = (queue: InMemoryQueue, clock: FakeClock): QueueProbe => ({
  receive: async () => queue.drain(),
  delete: async (message) => queue.delete(message.receiptHandle),
  elapse: async (seconds) => clock.advanceSeconds(seconds),
});

const sqsProbe = (sqs: SQSClient, queueUrl: string): QueueProbe => ({
  receive: async () => {
    const received: ProbedMessage[] = [];
    for (let empty = 0; empty < 2; ) {
      const response = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 0,
          VisibilityTimeout: 30,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        }),
      );
      const messages = response.Messages ?? [];
      if (messages.length === 0) empty += 1;
      for (const message of messages) {
        received.push({
          body: message.Body ?? '',
          attributes: Object.fromEntries(
            Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
              name,
              value.StringValue ?? '',
            ]),
          ),
          receiptHandle: message.ReceiptHandle ?? '',
          receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? 0),
        });
      }
    }
    return received;
  },
  delete: async (message) => {
    await sqs.send(
      new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.receiptHandle }),
    );
  },
  // A little over the time asked: SQS's timers are not to the millisecond.
  elapse: (seconds) => sleep(seconds * 1000 + 400),
});

export { inMemoryProbe, type ProbedMessage, type QueueProbe, sqsProbe };
