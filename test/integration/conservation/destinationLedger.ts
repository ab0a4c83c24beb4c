import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { ResultV1 } from '../../../shared/contract/result.js';
import { mapWithConcurrency } from '../../../shared/domain/mapWithConcurrency.js';

type Via = 'sqs' | 's3';

interface Delivered {
  readonly via: Via;
  /** The SQS message id or the S3 key the result came in. */
  readonly where: string;
  readonly result: ResultV1;
}

interface S3Object {
  readonly etag: string;
  readonly results: readonly ResultV1[];
}

/**
 * What reached the two destinations the conservation test uses, as a consumer sees it:
 * every SQS message ever received (a second message for an id is a second delivery), and the
 * current contents of every S3 object (rewriting an object in place is how the S3 writer
 * stays idempotent, so an object is re-read when its ETag changes). A result that was in an
 * object once and is gone after a rewrite is kept aside as vanished: a consumer may have
 * missed it.
 */
class DestinationLedger {
  readonly #sqs: SQSClient;
  readonly #s3: S3Client;
  readonly #queueUrl: string;
  readonly #bucket: string;
  readonly #queueResults: Delivered[] = [];
  readonly #objects = new Map<string, S3Object>();
  /** Ids ever seen per S3 key, to find results lost when an object was rewritten. */
  readonly #everInObject = new Map<string, Set<string>>();
  /** Times an object was read again because its ETag changed. */
  rewrites = 0;

  constructor(options: { sqs: SQSClient; s3: S3Client; queueUrl: string; bucket: string }) {
    this.#sqs = options.sqs;
    this.#s3 = options.s3;
    this.#queueUrl = options.queueUrl;
    this.#bucket = options.bucket;
  }

  async #drainQueue(): Promise<void> {
    for (;;) {
      const received = await this.#sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: this.#queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 0,
        }),
      );
      const messages = received.Messages ?? [];
      if (messages.length === 0) return;
      for (const message of messages) {
        this.#queueResults.push({
          via: 'sqs',
          where: message.MessageId ?? '',
          result: JSON.parse(message.Body ?? '{}') as ResultV1,
        });
      }
      await this.#sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.#queueUrl,
          Entries: messages.map((m, i) => ({
            Id: String(i),
            ReceiptHandle: m.ReceiptHandle ?? '',
          })),
        }),
      );
    }
  }

  async #readBucket(): Promise<void> {
    const changed: { key: string; etag: string }[] = [];
    let token: string | undefined;
    do {
      const page = await this.#s3.send(
        new ListObjectsV2Command({ Bucket: this.#bucket, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) {
        const key = object.Key ?? '';
        const etag = object.ETag ?? '';
        if (this.#objects.get(key)?.etag !== etag) changed.push({ key, etag });
      }
      token = page.NextContinuationToken;
    } while (token !== undefined);
    await mapWithConcurrency(changed, 8, async ({ key }) => {
      const body = await this.#s3.send(new GetObjectCommand({ Bucket: this.#bucket, Key: key }));
      const text = (await body.Body?.transformToString('utf8')) ?? '';
      const results = text
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as ResultV1);
      if (this.#objects.has(key)) this.rewrites += 1;
      this.#objects.set(key, { etag: body.ETag ?? '', results });
      const ever = this.#everInObject.get(key) ?? new Set<string>();
      for (const result of results) ever.add(result.custom_id);
      this.#everInObject.set(key, ever);
    });
  }

  /** Reads everything new at both destinations. */
  async collect(): Promise<void> {
    await this.#drainQueue();
    await this.#readBucket();
  }

  /** Every delivery per custom_id: SQS messages received, and lines of current S3 objects. */
  byId(): Map<string, Delivered[]> {
    const byId = new Map<string, Delivered[]>();
    const add = (delivered: Delivered): void => {
      const list = byId.get(delivered.result.custom_id) ?? [];
      list.push(delivered);
      byId.set(delivered.result.custom_id, list);
    };
    for (const delivered of this.#queueResults) add(delivered);
    for (const [key, object] of this.#objects) {
      for (const result of object.results) add({ via: 's3', where: key, result });
    }
    return byId;
  }

  /** Ids that were in an S3 object once and are no longer in it. */
  vanished(): { key: string; customId: string }[] {
    const gone: { key: string; customId: string }[] = [];
    for (const [key, ever] of this.#everInObject) {
      const now = new Set((this.#objects.get(key)?.results ?? []).map((r) => r.custom_id));
      for (const id of ever) if (!now.has(id)) gone.push({ key, customId: id });
    }
    return gone;
  }

  get objectCount(): number {
    return this.#objects.size;
  }
}

export { type Delivered, DestinationLedger, type Via };
