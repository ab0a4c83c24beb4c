import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { FunctionStats } from './InvocationStats.js';
import { MAX_INVOCATION_PAYLOAD_BYTES, payloadBytes } from './invocationLimits.js';
import type { WorkerModule } from './LambdaWorker.js';
import type { Isolation } from './lambdaContext.js';
import { createLocalFunction, type LocalFunction } from './localFunction.js';

type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | undefined>;

interface SqsEventSourceMappingOptions {
  readonly client: SQSClient;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly functionName: string;
  /**
   * `inline` (default): `handler` runs in this process. `worker`: each invocation runs in an
   * execution environment of its own thread, loaded from `worker` (see `LambdaWorker`).
   */
  readonly isolation?: Isolation;
  /** The handler, for `inline` isolation. */
  readonly handler?: SqsHandler;
  /** The function's module and environment, for `worker` isolation. */
  readonly worker?: WorkerModule;
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
  readonly onInvoke?: (info: {
    records: number;
    failed: number;
    error: unknown;
    /** The records' message ids (absent when the queue itself failed). */
    messageIds?: readonly string[];
  }) => void;
}

/**
 * The SenderId fauxqs records for every message (the local account); the local stack's own
 * functions send as it too, so it is their principal (`BATCHLANE_SELF_PRINCIPALS`).
 */
const LOCAL_ACCOUNT_SENDER_ID = '000000000000';

/** Bytes of `{"Records":[]}`, the event around its records. */
const EVENT_ENVELOPE_BYTES = payloadBytes({ Records: [] });

/**
 * The message attribute a local producer names its sender with. fauxqs records the same
 * SenderId (`000000000000`) for every message, as it has no IAM; real SQS records the sending
 * principal, which no message can choose. Locally this attribute stands in for it, so
 * producers can be told apart on the local stack as in AWS.
 */
const LOCAL_SENDER_ATTRIBUTE = 'batchlane-local-sender-id';

/** Message attributes as Lambda's SQS event carries them. */
const recordAttributesOf = (message: Message): SQSRecord['messageAttributes'] =>
  Object.fromEntries(
    Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
      name,
      {
        dataType: value.DataType ?? 'String',
        ...(value.StringValue === undefined ? {} : { stringValue: value.StringValue }),
        stringListValues: [],
        binaryListValues: [],
      },
    ]),
  );

const toRecord = (message: Message, queueArn: string): SQSRecord => ({
  messageId: message.MessageId ?? '',
  receiptHandle: message.ReceiptHandle ?? '',
  body: message.Body ?? '',
  attributes: {
    ApproximateReceiveCount: message.Attributes?.ApproximateReceiveCount ?? '1',
    SentTimestamp: message.Attributes?.SentTimestamp ?? String(Date.now()),
    SenderId:
      message.MessageAttributes?.[LOCAL_SENDER_ATTRIBUTE]?.StringValue ??
      message.Attributes?.SenderId ??
      LOCAL_ACCOUNT_SENDER_ID,
    ApproximateFirstReceiveTimestamp:
      message.Attributes?.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
  },
  messageAttributes: recordAttributesOf(message),
  md5OfBody: message.MD5OfBody ?? '',
  eventSource: 'aws:sqs',
  eventSourceARN: queueArn,
  awsRegion: 'us-east-1',
});

/**
 * What Lambda's SQS event source mapping does, locally: long-polls the queue, gathers up to
 * `batchSize` records within the batching window and the 6 MB invocation payload, invokes the
 * function once, deletes the records that did not fail (partial batch responses), and leaves
 * the failed ones to come back after the visibility timeout, and to the queue's DLQ after its
 * maxReceiveCount. A handler that throws, times out or whose runtime exits fails the whole
 * batch, as in Lambda.
 *
 * Records received beyond what fits in 6 MB are not invoked: their visibility is reset so they
 * stay in the queue for a later event, at the cost of one receive on their count. Receives ask
 * for no more records than the largest seen so far says will fit, so that stays rare.
 */
class SqsEventSourceMapping {
  readonly #options: SqsEventSourceMappingOptions;
  readonly #function: LocalFunction<SQSEvent, SQSBatchResponse | null | undefined>;
  #running = false;
  #loop: Promise<void> | null = null;
  #inFlight = 0;
  readonly #invocations = new Set<Promise<void>>();

  constructor(options: SqsEventSourceMappingOptions) {
    this.#options = options;
    this.#function = createLocalFunction<SQSEvent, SQSBatchResponse | null | undefined>({
      functionName: options.functionName,
      timeoutMs: options.timeoutMs,
      memoryMb: options.memoryMb,
      ...(options.isolation === undefined ? {} : { isolation: options.isolation }),
      ...(options.handler === undefined ? {} : { handler: options.handler }),
      ...(options.worker === undefined ? {} : { worker: options.worker }),
    });
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
    await this.#function.stop();
  }

  /** What the function's invocations have measured so far. */
  stats(): FunctionStats {
    return this.#function.stats();
  }

  /** True while an invocation is running. */
  get busy(): boolean {
    return this.#inFlight > 0;
  }

  async #gather(): Promise<Message[]> {
    const { client, queueUrl, queueArn, batchSize, batchingWindowMs } = this.#options;
    const messages: Message[] = [];
    const leftOut: Message[] = [];
    let eventBytes = EVENT_ENVELOPE_BYTES;
    let largestRecord = 0;
    let payloadBound = false;
    const deadline = Date.now() + batchingWindowMs;
    while (this.#running && messages.length < batchSize && leftOut.length === 0) {
      const remaining = deadline - Date.now();
      // Ask for no more records than surely fit, judging by the largest seen so far, so
      // records are seldom received only to be left out.
      const room = MAX_INVOCATION_PAYLOAD_BYTES - eventBytes;
      const fit = largestRecord === 0 ? 10 : Math.floor(room / largestRecord);
      if (fit === 0) {
        payloadBound = true;
        break;
      }
      const received = await client.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: Math.min(10, fit, batchSize - messages.length),
          WaitTimeSeconds: messages.length === 0 ? 1 : 0,
          MessageSystemAttributeNames: ['All'],
          MessageAttributeNames: ['All'],
        }),
      );
      for (const message of received.Messages ?? []) {
        // One more record costs its JSON plus the comma before it.
        const recordBytes =
          payloadBytes(toRecord(message, queueArn)) + (messages.length > 0 ? 1 : 0);
        largestRecord = Math.max(largestRecord, recordBytes);
        if (leftOut.length > 0 || eventBytes + recordBytes > MAX_INVOCATION_PAYLOAD_BYTES) {
          leftOut.push(message);
        } else {
          messages.push(message);
          eventBytes += recordBytes;
        }
      }
      if ((received.Messages ?? []).length === 0 && (messages.length > 0 || remaining <= 0)) break;
      if (messages.length > 0 && remaining <= 0) break;
    }
    if (payloadBound || leftOut.length > 0) this.#function.recordCappedEvent(leftOut.length);
    if (leftOut.length > 0) await this.#leaveInQueue(leftOut, messages.length);
    return messages;
  }

  /** Makes records that did not fit visible again at once, for the next event. */
  async #leaveInQueue(messages: readonly Message[], invoked: number): Promise<void> {
    const { client, queueUrl, functionName } = this.#options;
    for (let i = 0; i < messages.length; i += 10) {
      await client.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: messages.slice(i, i + 10).map((m, j) => ({
            Id: String(j),
            ReceiptHandle: m.ReceiptHandle ?? '',
            VisibilityTimeout: 0,
          })),
        }),
      );
    }
    if (invoked === 0) {
      // A record too large for any event on its own: it can only go to the DLQ in the end.
      this.#options.onInvoke?.({
        records: 0,
        failed: 0,
        error: new Error(
          `${functionName}: a record does not fit in a ${MAX_INVOCATION_PAYLOAD_BYTES}-byte event on its own`,
        ),
        messageIds: messages.map((m) => m.MessageId ?? ''),
      });
    }
  }

  async #invoke(messages: Message[]): Promise<void> {
    const { client, queueUrl, queueArn } = this.#options;
    const event: SQSEvent = { Records: messages.map((m) => toRecord(m, queueArn)) };
    let failedIds = new Set<string>();
    let error: unknown = null;
    this.#inFlight += 1;
    const receiveCount = Math.max(
      1,
      ...event.Records.map((r) => Number(r.attributes.ApproximateReceiveCount) || 1),
    );
    try {
      const response = await this.#function.invoke(event, { receiveCount });
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
    this.#options.onInvoke?.({
      records: messages.length,
      failed: failedIds.size,
      error,
      messageIds: messages.map((m) => m.MessageId ?? ''),
    });
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

export {
  LOCAL_ACCOUNT_SENDER_ID,
  LOCAL_SENDER_ATTRIBUTE,
  SqsEventSourceMapping,
  type SqsEventSourceMappingOptions,
  type SqsHandler,
};
