import {
  ChangeMessageVisibilityCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
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

  async retrySoon(receiptHandle: string, delaySeconds: number): Promise<void> {
    try {
      await this.#client.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: this.#queueUrl,
          ReceiptHandle: receiptHandle,
          VisibilityTimeout: Math.max(0, Math.min(43_200, Math.round(delaySeconds))),
        }),
      );
    } catch (error) {
      throw translateAwsError(error, {
        operation: 'ChangeMessageVisibility',
        resource: this.#queueUrl,
      });
    }
  }
}

export { SqsCompletionNotifier };
