import {
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Destination } from '../../contract/destination.js';
import type { ResultV1 } from '../../contract/result.js';
import { deliveryFailureOf, resultDeliveryKeyOf } from '../../domain/deliveryFailure.js';
import { canonicalQueueUrl, parseQueueUrl } from '../../domain/destinationPolicy.js';
import { type BatchlaneError, InvalidInputError, UnavailableError } from '../../domain/errors.js';
import type { BlobStore } from '../../ports/BlobStore.js';
import type {
  DeliveryContext,
  DeliveryReport,
  ResultDeliverer,
} from '../../ports/ResultDeliverer.js';
import { storeResultPointer } from './resultPointer.js';
import { translateAwsError } from './translateAwsError.js';

/** SQS's message size limit, which also bounds a whole SendMessageBatch request. */
const SQS_MAX_BYTES = 1024 * 1024;
const MAX_ENTRIES_PER_CALL = 10;
/**
 * Message attributes count toward SQS's size limit: room kept for the two this sender sets
 * (names, types and values: at most about 120 bytes with a 64-character custom_id).
 */
const ATTRIBUTE_RESERVE_BYTES = 256;

/** Constructor options of {@link SqsResultSender}. */
interface SqsResultSenderOptions {
  readonly client: SQSClient;
  /** batchlane's bucket, for results too large for one message. */
  readonly overflow: BlobStore;
  /** Largest body sent inline (default and maximum 1 MiB, SQS's limit). */
  readonly maxMessageBytes?: number;
  /**
   * Hand SQS the queue URL rebuilt from its region, account and name rather than the one
   * given. Default: on, unless the client has an endpoint of its own (an emulator, which may
   * look queues up by the URL it issued); the client's endpoint decides where the call goes
   * either way.
   */
  readonly canonicalQueueUrls?: boolean;
}

type Failure = DeliveryReport['failed'][number];

/**
 * Delivers results to an SQS queue named by its URL, through the client's own regional (or
 * emulator) endpoint, never the URL's host: one message per result, body the JSON result, sent with
 * SendMessageBatch in groups of ≤ 10 entries and ≤ 1 MiB. A result larger than the message
 * limit is stored in S3 and a `batchlane.result-pointer.v1` message is sent in its place.
 * Every message carries its `custom_id` and status as message attributes, so a consumer of a
 * standard queue (at-least-once) can drop a repeat without parsing the body; a FIFO queue
 * drops repeats itself.
 */
class SqsResultSender implements ResultDeliverer {
  readonly #client: SQSClient;
  readonly #overflow: BlobStore;
  readonly #maxBytes: number;
  readonly #canonical: boolean;

  constructor(options: SqsResultSenderOptions) {
    this.#client = options.client;
    this.#overflow = options.overflow;
    this.#maxBytes = Math.min(SQS_MAX_BYTES, options.maxMessageBytes ?? SQS_MAX_BYTES);
    this.#canonical =
      options.canonicalQueueUrls ?? options.client.config?.isCustomEndpoint !== true;
  }

  async deliver(
    destination: Destination,
    results: readonly ResultV1[],
    context: DeliveryContext,
  ): Promise<DeliveryReport> {
    if (destination.type !== 'sqs') {
      throw new InvalidInputError(`SqsResultSender cannot deliver to ${destination.type}`, {
        code: 'wrong_destination',
      });
    }
    const queue = parseQueueUrl(destination.queue_url);
    if (queue === null) {
      const error = new InvalidInputError(`${destination.queue_url} is not an SQS queue URL`, {
        code: 'invalid_destination',
      });
      return { failed: results.map((r) => deliveryFailureOf(r, error)) };
    }
    const queueUrl = this.#canonical ? canonicalQueueUrl(queue) : destination.queue_url;
    const failed: Failure[] = [];
    const fifo = isFifoQueue(destination.queue_url);
    const messages: { result: ResultV1; body: string; bytes: number }[] = [];
    for (const result of results) {
      try {
        let body = JSON.stringify(result);
        if (Buffer.byteLength(body) + ATTRIBUTE_RESERVE_BYTES > this.#maxBytes) {
          body = JSON.stringify(await storeResultPointer(this.#overflow, result, body, context));
        }
        messages.push({
          result,
          body,
          bytes: Buffer.byteLength(body) + ATTRIBUTE_RESERVE_BYTES,
        });
      } catch (error) {
        failed.push(deliveryFailureOf(result, translateAwsError(error)));
      }
    }

    for (const chunk of this.#chunks(messages)) {
      const entries: SendMessageBatchRequestEntry[] = chunk.map((message, index) => ({
        Id: String(index),
        MessageBody: message.body,
        MessageAttributes: {
          'batchlane-custom-id': { DataType: 'String', StringValue: message.result.custom_id },
          'batchlane-status': { DataType: 'String', StringValue: message.result.status },
        },
        // A request has exactly one final outcome, so its producer and custom_id name the
        // delivery: a resend after a crash between this call and completion's checkpoint is
        // dropped by SQS within its 5-minute deduplication window, and another producer's
        // result sharing the id is not. One group per request: no head-of-line blocking
        // between unrelated results.
        ...(fifo
          ? {
              MessageDeduplicationId: resultDeliveryKeyOf(message.result),
              MessageGroupId: resultDeliveryKeyOf(message.result),
            }
          : {}),
      }));
      try {
        const response = await this.#client.send(
          new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }),
        );
        for (const entry of response.Failed ?? []) {
          const message = chunk[Number(entry.Id)];
          if (message === undefined) continue;
          failed.push(deliveryFailureOf(message.result, entryError(entry)));
        }
      } catch (error) {
        const translated = translateAwsError(error, {
          operation: 'SQS.SendMessageBatch',
          resource: queue.arn,
        });
        for (const message of chunk) failed.push(deliveryFailureOf(message.result, translated));
      }
    }
    return { failed };
  }

  *#chunks<T extends { bytes: number }>(messages: readonly T[]): Generator<T[]> {
    let current: T[] = [];
    let bytes = 0;
    for (const message of messages) {
      if (
        current.length === MAX_ENTRIES_PER_CALL ||
        (current.length > 0 && bytes + message.bytes > SQS_MAX_BYTES)
      ) {
        yield current;
        current = [];
        bytes = 0;
      }
      current.push(message);
      bytes += message.bytes;
    }
    if (current.length > 0) yield current;
  }
}

/** SQS FIFO queue names end in `.fifo`; their URLs end with the name. */
const isFifoQueue = (queueUrl: string): boolean => /\.fifo\/?$/.test(queueUrl);

const entryError = (entry: {
  Code?: string;
  Message?: string;
  SenderFault?: boolean;
}): BatchlaneError => {
  const message = `SQS refused the message: ${entry.Code ?? 'unknown'}: ${entry.Message ?? ''}`;
  const options = { code: 'message_rejected', details: { errorCode: entry.Code } };
  // SenderFault: the message itself was wrong; otherwise SQS failed and a retry may work.
  return entry.SenderFault === true
    ? new InvalidInputError(message, options)
    : new UnavailableError(message, options);
};

export { SqsResultSender, type SqsResultSenderOptions };
