import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { RealtimeJob } from '../../domain/RealtimeJob.js';
import type { RealtimeDispatcher } from '../../ports/RealtimeDispatcher.js';
import { translateAwsError } from './translateAwsError.js';

/** Queues realtime jobs for the realtime worker (SQS event source with a DLQ). */
class SqsRealtimeDispatcher implements RealtimeDispatcher {
  readonly #client: SQSClient;
  readonly #queueUrl: string;

  constructor(options: { readonly client: SQSClient; readonly queueUrl: string }) {
    this.#client = options.client;
    this.#queueUrl = options.queueUrl;
  }

  async dispatch(
    job: RealtimeJob,
    options: { readonly delaySeconds?: number } = {},
  ): Promise<void> {
    const delay = Math.max(0, Math.min(900, Math.round(options.delaySeconds ?? 0)));
    try {
      await this.#client.send(
        new SendMessageCommand({
          QueueUrl: this.#queueUrl,
          MessageBody: JSON.stringify(job),
          DelaySeconds: delay,
        }),
      );
    } catch (error) {
      throw translateAwsError(error, { operation: 'SendMessage', resource: this.#queueUrl });
    }
  }
}

export { SqsRealtimeDispatcher };
