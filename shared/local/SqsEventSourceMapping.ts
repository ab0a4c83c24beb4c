import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { invokeLocally } from './lambdaContext.js';

type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | undefined>;

interface SqsEventSourceMappingOptions {
  readonly client: SQSClient;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly functionName: string;
  readonly handler: SqsHandler;
  /** Most records per invocation (Lambda: 1-10,000 for standard queues). */
  readonly batchSize: number;
  /** How long to gather records before invoking with fewer than `batchSize`. */
  readonly batchingWindowMs: number;
  readonly timeoutMs: number;
  readonly memoryMb: number;
  /**
   * Most invocations in flight at once (default 1). Lambda scales SQS pollers out; more than
   * one lets an invocation that hangs until its timeout not stall the whole queue.
   */
  readonly maxConcurrency?: number;
  /** Called after each invocation, for the local console. */
  readonly onInvoke?: (info: { records: number; failed: number; error: unknown }) => void;
}

const toRecord = (message: Message, queueArn: string): SQSRecord => ({
  messageId: message.MessageId ?? '',
  receiptHandle: message.ReceiptHandle ?? '',
  body: message.Body ?? '',
  attributes: {
    ApproximateReceiveCount: message.Attributes?.ApproximateReceiveCount ?? '1',
    SentTimestamp: message.Attributes?.SentTimestamp ?? String(Date.now()),
    SenderId: message.Attributes?.SenderId ?? 'local',
    ApproximateFirstReceiveTimestamp:
      message.Attributes?.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
  },
  messageAttributes: {},
  md5OfBody: message.MD5OfBody ?? '',
  eventSource: 'aws:sqs',
  eventSourceARN: queueArn,
  awsRegion: 'us-east-1',
});

/**
 * What Lambda's SQS event source mapping does, locally: long-polls the queue, gathers up to
 * `batchSize` records within the batching window, invokes the handler once, deletes the
 * records that did not fail (partial batch responses), and leaves the failed ones to come
 * back after the visibility timeout, and to the queue's DLQ after its maxReceiveCount.
 * A handler that throws, times out or whose runtime exits fails the whole batch, as in Lambda.
 */
class SqsEventSourceMapping {
  readonly #options: SqsEventSourceMappingOptions;
  #running = false;
  #loop: Promise<void> | null = null;
  #inFlight = 0;
  readonly #invocations = new Set<Promise<void>>();

  constructor(options: SqsEventSourceMappingOptions) {
    this.#options = options;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
    await Promise.all(this.#invocations);
  }

  /** True while an invocation is running. */
  get busy(): boolean {
    return this.#inFlight > 0;
  }

  async #gather(): Promise<Message[]> {
    const { client, queueUrl, batchSize, batchingWindowMs } = this.#options;
    const messages: Message[] = [];
    const deadline = Date.now() + batchingWindowMs;
    while (this.#running && messages.length < batchSize) {
      const remaining = deadline - Date.now();
      const received = await client.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: Math.min(10, batchSize - messages.length),
          WaitTimeSeconds: messages.length === 0 ? 1 : 0,
          MessageSystemAttributeNames: ['All'],
        }),
      );
      messages.push(...(received.Messages ?? []));
      if ((received.Messages ?? []).length === 0 && (messages.length > 0 || remaining <= 0)) break;
      if (messages.length > 0 && remaining <= 0) break;
    }
    return messages;
  }

  async #invoke(messages: Message[]): Promise<void> {
    const { client, queueUrl, queueArn, functionName, handler, timeoutMs, memoryMb } =
      this.#options;
    const event: SQSEvent = { Records: messages.map((m) => toRecord(m, queueArn)) };
    let failedIds = new Set<string>();
    let error: unknown = null;
    this.#inFlight += 1;
    const receiveCount = Math.max(
      1,
      ...event.Records.map((r) => Number(r.attributes.ApproximateReceiveCount) || 1),
    );
    try {
      const response = await invokeLocally(
        { functionName, timeoutMs, memoryMb, receiveCount },
        (context) => handler(event, context),
      );
      failedIds = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    } catch (caught) {
      error = caught;
      failedIds = new Set(messages.map((m) => m.MessageId ?? ''));
    } finally {
      this.#inFlight -= 1;
    }
    const done = messages.filter((m) => !failedIds.has(m.MessageId ?? ''));
    for (let i = 0; i < done.length; i += 10) {
      await client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: done
            .slice(i, i + 10)
            .map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle ?? '' })),
        }),
      );
    }
    this.#options.onInvoke?.({ records: messages.length, failed: failedIds.size, error });
  }

  async #run(): Promise<void> {
    const maxConcurrency = Math.max(1, this.#options.maxConcurrency ?? 1);
    while (this.#running) {
      try {
        while (this.#invocations.size >= maxConcurrency) await Promise.race(this.#invocations);
        const messages = await this.#gather();
        if (messages.length === 0) continue;
        const invocation = this.#invoke(messages)
          .catch((error: unknown) => this.#options.onInvoke?.({ records: 0, failed: 0, error }))
          .finally(() => this.#invocations.delete(invocation));
        this.#invocations.add(invocation);
      } catch (error) {
        // The queue itself failed (e.g. emulator stopping): report, pause, go on.
        this.#options.onInvoke?.({ records: 0, failed: 0, error });
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  }
}

export { SqsEventSourceMapping, type SqsEventSourceMappingOptions, type SqsHandler };
