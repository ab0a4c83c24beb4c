import {
  type BatchResultErrorEntry,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { type BackoffPolicy, backoffDelayMs, FULL_JITTER } from '../shared/domain/backoff.js';
import { errorMessage } from '../shared/domain/errors.js';
import { mapWithConcurrency } from '../shared/domain/mapWithConcurrency.js';
import { packMessages, SQS_MAX_BYTES_PER_CALL, SQS_MAX_MESSAGE_BYTES } from './packMessages.js';

/** What became of one message body: sent (SQS's message id), or not sent and why. */
type MessageOutcome =
  | { readonly index: number; readonly sent: true; readonly messageId: string }
  | {
      readonly index: number;
      readonly sent: false;
      /** SQS's error code (`InvalidMessageContents`, `AccessDenied`, …) or `MessageTooLong`. */
      readonly code: string;
      readonly message: string;
      /** Whether trying again later may succeed (it was SQS's fault, or a throttle). */
      readonly retryable: boolean;
    };

/** How {@link sendMessages} sends. */
interface SendMessagesOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  /** The queue's `MaximumMessageSize` (default and at most 1 MiB). */
  readonly maxMessageBytes?: number;
  /** Tries of an entry SQS failed on its side, or of a call that failed, beyond the first. */
  readonly retries?: number;
  readonly backoff?: BackoffPolicy;
  /** SendMessageBatch calls in flight at once. */
  readonly concurrency?: number;
  readonly onProgress?: (done: number, total: number) => void;
  /** Waits between tries (tests pass one that does not wait). */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** The AWS SDK's advice for retry loops: exponential, capped, full jitter. */
const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 100, maxMs: 5000, jitter: FULL_JITTER };
const DEFAULT_RETRIES = 5;
const DEFAULT_CONCURRENCY = 8;

const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Throttling and server-side codes SQS may answer a whole call with. */
const RETRYABLE_CODES = new Set([
  'RequestThrottled',
  'ThrottlingException',
  'KmsThrottled',
  'ServiceUnavailable',
  'InternalError',
  'InternalFailure',
  'TimeoutError',
]);

/**
 * Whether a SendMessageBatch call that threw may succeed on a later try: throttles, server
 * errors and network failures (no HTTP status at all) may; a refused request (access denied,
 * no such queue, a malformed call) will not.
 */
const isRetryableCallError = (error: unknown): boolean => {
  if (typeof error !== 'object' || error === null) return true;
  const e = error as {
    name?: string;
    $retryable?: unknown;
    $fault?: string;
    $metadata?: { httpStatusCode?: number };
  };
  if (e.$retryable !== undefined) return true;
  if (e.name !== undefined && RETRYABLE_CODES.has(e.name)) return true;
  const status = e.$metadata?.httpStatusCode;
  if (status === undefined) return e.$fault !== 'client';
  return status >= 500 || status === 429;
};

const codeOfError = (error: unknown): string =>
  error instanceof Error && error.name !== 'Error' ? error.name : 'SendFailed';

interface Sized {
  readonly index: number;
  readonly body: string;
  readonly bytes: number;
}

/**
 * Sends one call's entries, and those of its entries SQS failed on its own side (or all of
 * them, when the call failed in a way that may pass), again with backoff, up to `retries`
 * times. An entry SQS refused as the sender's fault is final at once. An entry whose call
 * timed out may have reached the queue: sending it again can deliver it twice, which the
 * collector folds by `custom_id` (an identical resend).
 */
const sendCall = async (
  call: readonly Sized[],
  options: SendMessagesOptions,
): Promise<MessageOutcome[]> => {
  const retries = options.retries ?? DEFAULT_RETRIES;
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const sleep = options.sleep ?? wait;
  const outcomes: MessageOutcome[] = [];
  let pending = [...call];
  for (let attempt = 0; pending.length > 0; attempt++) {
    const last = attempt >= retries;
    const byId = new Map(pending.map((message) => [String(message.index), message]));
    const again: Sized[] = [];
    try {
      const response = await options.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: options.queueUrl,
          Entries: pending.map((message) => ({
            Id: String(message.index),
            MessageBody: message.body,
          })),
        }),
      );
      for (const ok of response.Successful ?? []) {
        const message = byId.get(ok.Id ?? '');
        if (message === undefined) continue;
        byId.delete(ok.Id ?? '');
        outcomes.push({ index: message.index, sent: true, messageId: ok.MessageId ?? '' });
      }
      for (const failed of response.Failed ?? []) {
        const message = byId.get(failed.Id ?? '');
        if (message === undefined) continue;
        byId.delete(failed.Id ?? '');
        if (failed.SenderFault !== true && !last) again.push(message);
        else outcomes.push(entryFailure(message.index, failed));
      }
      // An entry SQS answered neither way about: not known to be sent, so tried again.
      for (const message of byId.values()) {
        if (!last) again.push(message);
        else
          outcomes.push({
            index: message.index,
            sent: false,
            code: 'NoAnswer',
            message: 'SQS answered neither Successful nor Failed for this entry',
            retryable: true,
          });
      }
    } catch (error) {
      const retryable = isRetryableCallError(error);
      if (retryable && !last) again.push(...pending);
      else {
        for (const message of pending) {
          outcomes.push({
            index: message.index,
            sent: false,
            code: codeOfError(error),
            message: errorMessage(error),
            retryable,
          });
        }
      }
    }
    pending = again;
    if (pending.length > 0) await sleep(backoffDelayMs(attempt, backoff));
  }
  return outcomes;
};

const entryFailure = (index: number, failed: BatchResultErrorEntry): MessageOutcome => ({
  index,
  sent: false,
  code: failed.Code ?? 'Failed',
  message: failed.Message ?? '',
  retryable: failed.SenderFault !== true,
});

/**
 * Sends each body as one SQS message, packed into SendMessageBatch calls within SQS's count
 * and size limits, a few calls at a time, and says what became of each (in the order given).
 * Bodies are sent as they are; a body over the queue's message size is not sent
 * (`MessageTooLong`), and neither it nor any entry SQS refuses stops the others.
 */
const sendMessages = async (
  bodies: readonly string[],
  options: SendMessagesOptions,
): Promise<MessageOutcome[]> => {
  const maxMessageBytes = Math.min(
    options.maxMessageBytes ?? SQS_MAX_MESSAGE_BYTES,
    SQS_MAX_MESSAGE_BYTES,
  );
  const outcomes: MessageOutcome[] = new Array(bodies.length);
  const sendable: Sized[] = [];
  bodies.forEach((body, index) => {
    const bytes = Buffer.byteLength(body);
    if (bytes <= maxMessageBytes) {
      sendable.push({ index, body, bytes });
      return;
    }
    outcomes[index] = {
      index,
      sent: false,
      code: 'MessageTooLong',
      message: `the message is ${bytes} bytes; the queue takes at most ${maxMessageBytes}`,
      retryable: false,
    };
  });
  let done = bodies.length - sendable.length;
  if (done > 0) options.onProgress?.(done, bodies.length);
  const calls = packMessages(sendable, { maxBytesPerCall: SQS_MAX_BYTES_PER_CALL });
  await mapWithConcurrency(calls, options.concurrency ?? DEFAULT_CONCURRENCY, async (call) => {
    for (const outcome of await sendCall(call, options)) outcomes[outcome.index] = outcome;
    done += call.length;
    options.onProgress?.(done, bodies.length);
  });
  return outcomes;
};

export { isRetryableCallError, type MessageOutcome, type SendMessagesOptions, sendMessages };
