import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { CompletionNotifier } from '../../ports/CompletionNotifier.js';
import { translateAwsError } from './translateAwsError.js';

/** Queues `{batch_id}` for the completion function (SQS event source with a DLQ). */
class SqsCompletionNotifier implements CompletionNotifier {
  readonly #client: SQSClient;
  readonly #queueUrl: string;

  constructor(options: { readonly client: SQSClient; readonly queueUrl: string }) {
    this.#client = options.client;
    this.#queueUrl = options.queueUrl;
  }

  async notifyEnded(batchId: string): Promise<void> {
    try {
      await this.#client.send(
        new SendMessageCommand({
          QueueUrl: this.#queueUrl,
          MessageBody: JSON.stringify({ batch_id: batchId }),
        }),
      );
    } catch (error) {
      throw translateAwsError(error, { operation: 'SendMessage', resource: this.#queueUrl });
    }
  }
}

export { SqsCompletionNotifier };
