import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { UnavailableError } from '../../domain/errors.js';
import { PRODUCER_ATTRIBUTE, producerAttributeOf } from '../../domain/producer.js';
import type { IntakeRequeuer, RequeuedMessage } from '../../ports/IntakeRequeuer.js';
import { translateAwsError } from './translateAwsError.js';

/** SQS's longest message delay. */
const MAX_DELAY_SECONDS = 900;

/**
 * Sends held requests back to the intake queue as new messages with a delay: a new message
 * starts its receive count afresh, so a request held for hours never reaches the dead-letter
 * queue, as one left to time out again and again would. Sent with SendMessageBatch in groups
 * of at most ten messages and 1 MiB, SQS's limits for one call. SQS records batchlane as the
 * sender of the new message, so each carries its producer as the `batchlane-producer`
 * attribute, which the collector believes only on messages batchlane itself sent.
 */
class SqsIntakeRequeuer implements IntakeRequeuer {
  readonly #client: SQSClient;
  readonly #queueUrl: string;

  constructor(options: { readonly client: SQSClient; readonly queueUrl: string }) {
    this.#client = options.client;
    this.#queueUrl = options.queueUrl;
  }

  async requeue(messages: readonly RequeuedMessage[], delaySeconds: number): Promise<void> {
    const delay = Math.max(0, Math.min(MAX_DELAY_SECONDS, Math.round(delaySeconds)));
    const groups: RequeuedMessage[][] = [];
    let group: RequeuedMessage[] = [];
    let bytes = 0;
    for (const message of messages) {
      // Attribute name, type and value count towards SQS's size limit too.
      const size =
        Buffer.byteLength(message.body) +
        Buffer.byteLength(producerAttributeOf(message.producer)) +
        PRODUCER_ATTRIBUTE.length +
        'String'.length;
      if (group.length === 10 || (group.length > 0 && bytes + size > 1024 * 1024)) {
        groups.push(group);
        group = [];
        bytes = 0;
      }
      group.push(message);
      bytes += size;
    }
    if (group.length > 0) groups.push(group);
    for (const chunk of groups) {
      let failed: number;
      try {
        const response = await this.#client.send(
          new SendMessageBatchCommand({
            QueueUrl: this.#queueUrl,
            Entries: chunk.map((message, index) => ({
              Id: String(index),
              MessageBody: message.body,
              DelaySeconds: delay,
              MessageAttributes: {
                [PRODUCER_ATTRIBUTE]: {
                  DataType: 'String',
                  StringValue: producerAttributeOf(message.producer),
                },
              },
            })),
          }),
        );
        failed = response.Failed?.length ?? 0;
      } catch (error) {
        throw translateAwsError(error, {
          operation: 'SQS.SendMessageBatch',
          resource: this.#queueUrl,
        });
      }
      if (failed > 0) {
        // The caller hands the original messages back to SQS: nothing is lost, and a copy
        // that did go out folds by custom_id.
        throw new UnavailableError(`${failed} held requests were not requeued`, {
          code: 'requeue_failed',
          details: { failed },
        });
      }
    }
  }
}

export { SqsIntakeRequeuer };
