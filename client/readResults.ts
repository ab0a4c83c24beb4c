import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { z } from 'zod';
import { type BatchlaneEvent, DETAIL_SCHEMAS, EVENT_SOURCE } from '../shared/contract/events.js';
import {
  RESULT_DETAIL_TYPE,
  type ResultPointerV1,
  ResultPointerV1Schema,
  type ResultV1,
  ResultV1Schema,
} from '../shared/contract/result.js';

/** An event as an EventBridge rule hands it to a target (SQS, Lambda): the envelope. */
interface EventEnvelope {
  readonly id: string | null;
  readonly time: string | null;
  readonly source: string;
}

/** One thing read from a destination or an event target, by what it is. */
type Delivery =
  /** A result record (an `sqs` destination's message, or a line of an `s3` destination's object). */
  | { readonly kind: 'result'; readonly result: ResultV1 }
  /** A result too large for its message: read it with {@link fetchPointedResult}. */
  | { readonly kind: 'result-pointer'; readonly pointer: ResultPointerV1 }
  /** A `Request Result` event on a caller's bus (an `eventbridge` destination). */
  | {
      readonly kind: 'result-event';
      readonly envelope: EventEnvelope;
      readonly detail: ResultV1 | ResultPointerV1;
    }
  /** One of batchlane's own events (`Request Rejected`, `Batch Ended`, …). */
  | { readonly kind: 'event'; readonly envelope: EventEnvelope; readonly event: BatchlaneEvent }
  /** Not something batchlane sends, or not of contract v1: `reason` says what did not fit. */
  | { readonly kind: 'unknown'; readonly reason: string };

const describeIssues = (error: z.ZodError): string =>
  error.issues
    .slice(0, 3)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ');

const resultOrPointer = (
  value: unknown,
): { ok: true; value: ResultV1 | ResultPointerV1 } | { ok: false; reason: string } => {
  const schema = (value as { schema?: unknown } | null)?.schema;
  const parsed =
    schema === 'batchlane.result-pointer.v1'
      ? ResultPointerV1Schema.safeParse(value)
      : ResultV1Schema.safeParse(value);
  return parsed.success
    ? { ok: true, value: parsed.data }
    : { ok: false, reason: `not a ${String(schema)}: ${describeIssues(parsed.error)}` };
};

const parseEnvelope = (json: Record<string, unknown>): Delivery => {
  const detailType = json['detail-type'];
  const envelope: EventEnvelope = {
    id: typeof json['id'] === 'string' ? json['id'] : null,
    time: typeof json['time'] === 'string' ? json['time'] : null,
    source: String(json['source']),
  };
  if (json['source'] !== EVENT_SOURCE) {
    return { kind: 'unknown', reason: `event source ${String(json['source'])} is not batchlane` };
  }
  if (detailType === RESULT_DETAIL_TYPE) {
    const detail = resultOrPointer(json['detail']);
    return detail.ok
      ? { kind: 'result-event', envelope, detail: detail.value }
      : { kind: 'unknown', reason: detail.reason };
  }
  const schema = DETAIL_SCHEMAS[detailType as keyof typeof DETAIL_SCHEMAS] as z.ZodType | undefined;
  if (schema === undefined) {
    return { kind: 'unknown', reason: `unknown detail-type ${String(detailType)}` };
  }
  const parsed = schema.safeParse(json['detail']);
  if (!parsed.success) {
    return {
      kind: 'unknown',
      reason: `${String(detailType)} detail: ${describeIssues(parsed.error)}`,
    };
  }
  return {
    kind: 'event',
    envelope,
    event: { detailType, detail: parsed.data } as BatchlaneEvent,
  };
};

/**
 * Reads one delivery: an SQS message body from a result queue or an event rule's queue
 * target, a line of an `s3` destination's JSONL object, or an event already parsed (a Lambda
 * target's argument). Checked against the contract's schemas (the ones `schemas/` publishes);
 * never throws: what does not fit is `unknown`, with the reason.
 */
const parseDelivery = (message: string | Readonly<Record<string, unknown>>): Delivery => {
  let json: unknown = message;
  if (typeof message === 'string') {
    try {
      json = JSON.parse(message);
    } catch {
      return { kind: 'unknown', reason: 'not JSON' };
    }
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { kind: 'unknown', reason: 'not a JSON object' };
  }
  const record = json as Record<string, unknown>;
  if ('detail-type' in record) return parseEnvelope(record);
  const read = resultOrPointer(record);
  if (!read.ok) return { kind: 'unknown', reason: read.reason };
  return read.value.schema === 'batchlane.result.v1'
    ? { kind: 'result', result: read.value }
    : { kind: 'result-pointer', pointer: read.value };
};

/** Reads every line of an `s3` destination's JSONL object. */
const parseResultLines = (text: string): Delivery[] =>
  text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => parseDelivery(line));

/** The full result a pointer names (the reader needs `s3:GetObject` on it). */
const fetchPointedResult = async (s3: S3Client, pointer: ResultPointerV1): Promise<ResultV1> => {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(pointer.s3_uri);
  if (match === null) throw new Error(`not an s3:// URI: ${pointer.s3_uri}`);
  const object = await s3.send(new GetObjectCommand({ Bucket: match[1], Key: match[2] }));
  const text = (await object.Body?.transformToString('utf8')) ?? '';
  return ResultV1Schema.parse(JSON.parse(text));
};

/** One message received from a queue, read. */
interface ReceivedDelivery {
  readonly delivery: Delivery;
  readonly messageId: string;
  readonly receiptHandle: string;
}

/**
 * Reads a queue that results (an `sqs` destination) or events (a rule's SQS target) arrive
 * on: `receive` long-polls up to ten messages and reads each; `acknowledge` deletes the ones
 * handled. A standard queue may hand a message over twice: key on `custom_id` (results) or
 * the envelope's id (events).
 */
const createResultReader = (options: { readonly sqs: SQSClient; readonly queueUrl: string }) => ({
  receive: async (
    receive: { readonly maxMessages?: number; readonly waitSeconds?: number } = {},
  ): Promise<ReceivedDelivery[]> => {
    const { Messages = [] } = await options.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: options.queueUrl,
        MaxNumberOfMessages: receive.maxMessages ?? 10,
        WaitTimeSeconds: receive.waitSeconds ?? 20,
      }),
    );
    return Messages.map((m) => ({
      delivery: parseDelivery(m.Body ?? ''),
      messageId: m.MessageId ?? '',
      receiptHandle: m.ReceiptHandle ?? '',
    }));
  },
  acknowledge: async (received: readonly ReceivedDelivery[]): Promise<void> => {
    for (let i = 0; i < received.length; i += 10) {
      const chunk = received.slice(i, i + 10);
      const response = await options.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: options.queueUrl,
          Entries: chunk.map((r, n) => ({ Id: String(n), ReceiptHandle: r.receiptHandle })),
        }),
      );
      const failed = response.Failed ?? [];
      if (failed.length > 0) {
        throw new Error(
          `${failed.length} messages not deleted: ${failed[0]?.Code ?? ''} ${failed[0]?.Message ?? ''}`,
        );
      }
    }
  },
});

export {
  createResultReader,
  type Delivery,
  type EventEnvelope,
  fetchPointedResult,
  parseDelivery,
  parseResultLines,
  RESULT_DETAIL_TYPE,
  type ReceivedDelivery,
  type ResultPointerV1,
  ResultPointerV1Schema,
};
