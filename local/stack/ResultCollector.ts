import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { ResultV1 } from '../../shared/contract/result.js';

type Via = 'sqs' | 's3' | 'eventbridge';

interface CollectedResult {
  readonly via: Via;
  readonly result: ResultV1;
}

interface RecordedEvent {
  readonly 'detail-type'?: string;
  readonly DetailType?: string;
  readonly detail?: unknown;
  readonly Detail?: string;
  readonly EventBusName?: string;
  readonly 'event-bus-name'?: string;
}

/**
 * Reads what reached the local demo destinations (a results queue, a results bucket, the
 * events recorded by the PutEvents endpoint) and keeps every result seen per `custom_id`,
 * so a caller can check that each id got exactly one.
 */
class ResultCollector {
  readonly #sqs: SQSClient;
  readonly #s3: S3Client;
  readonly #queueUrl: string;
  readonly #bucket: string;
  readonly #events: () => readonly RecordedEvent[];
  readonly #seenKeys = new Set<string>();
  #eventsSeen = 0;
  readonly byId = new Map<string, CollectedResult[]>();

  constructor(options: {
    sqs: SQSClient;
    s3: S3Client;
    queueUrl: string;
    bucket: string;
    events: () => readonly RecordedEvent[];
  }) {
    this.#sqs = options.sqs;
    this.#s3 = options.s3;
    this.#queueUrl = options.queueUrl;
    this.#bucket = options.bucket;
    this.#events = options.events;
  }

  /** The collector of a local stack's demo destinations, read with `aws`'s clients. */
  static ofStack(
    stack: {
      readonly resultsQueueUrl: string;
      readonly resultsBucket: string;
      readonly emulators: { readonly eventBridge: { events(): readonly RecordedEvent[] } };
    },
    aws: { readonly sqs: SQSClient; readonly s3: S3Client },
  ): ResultCollector {
    return new ResultCollector({
      sqs: aws.sqs,
      s3: aws.s3,
      queueUrl: stack.resultsQueueUrl,
      bucket: stack.resultsBucket,
      events: () => stack.emulators.eventBridge.events(),
    });
  }

  #add(via: Via, result: ResultV1): void {
    const list = this.byId.get(result.custom_id) ?? [];
    list.push({ via, result });
    this.byId.set(result.custom_id, list);
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
      for (const message of messages)
        this.#add('sqs', JSON.parse(message.Body ?? '{}') as ResultV1);
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
    let token: string | undefined;
    do {
      const page = await this.#s3.send(
        new ListObjectsV2Command({ Bucket: this.#bucket, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) {
        const key = object.Key ?? '';
        if (this.#seenKeys.has(key)) continue;
        this.#seenKeys.add(key);
        const body = await this.#s3.send(new GetObjectCommand({ Bucket: this.#bucket, Key: key }));
        const text = (await body.Body?.transformToString('utf8')) ?? '';
        for (const line of text.split('\n'))
          if (line.trim() !== '') this.#add('s3', JSON.parse(line) as ResultV1);
      }
      token = page.NextContinuationToken;
    } while (token !== undefined);
  }

  #readEvents(): void {
    const events = this.#events();
    for (const event of events.slice(this.#eventsSeen)) {
      const type = event['detail-type'] ?? event.DetailType;
      if (type !== 'Request Result') continue;
      const detail =
        event.detail ?? (event.Detail === undefined ? undefined : JSON.parse(event.Detail));
      this.#add('eventbridge', detail as ResultV1);
    }
    this.#eventsSeen = events.length;
  }

  /** Reads everything new at every destination. */
  async collect(): Promise<void> {
    await this.#drainQueue();
    await this.#readBucket();
    this.#readEvents();
  }

  /** Ids from `expected` that have no result yet. */
  missing(expected: Iterable<string>): string[] {
    return [...expected].filter((id) => !this.byId.has(id));
  }

  /** Ids that received more than one result. */
  duplicates(): string[] {
    return [...this.byId].filter(([, list]) => list.length > 1).map(([id]) => id);
  }
}

export { type CollectedResult, type RecordedEvent, ResultCollector };
