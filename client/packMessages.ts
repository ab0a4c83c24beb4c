/**
 * SQS's limits on one SendMessageBatch call: at most ten entries, and at most 1 MiB
 * (1,048,576 bytes) for the sum of their bodies. Each message is also held to the queue's
 * `MaximumMessageSize` (at most 1 MiB; 1 MiB by default, which the stack keeps).
 */
const SQS_MAX_ENTRIES_PER_CALL = 10;
const SQS_MAX_BYTES_PER_CALL = 1_048_576;
const SQS_MAX_MESSAGE_BYTES = 1_048_576;

/** One message to send: its position among the caller's messages, and its size in bytes. */
interface SizedMessage {
  readonly index: number;
  readonly bytes: number;
}

/**
 * Groups messages, in order, into SendMessageBatch calls within SQS's count and total-size
 * limits: a call is closed when it holds ten entries or when the next message would take it
 * past `maxBytesPerCall`. A message larger than a whole call cannot be sent at all; the caller
 * keeps those out (they go by claim check, or are refused).
 */
const packMessages = <M extends SizedMessage>(
  messages: readonly M[],
  limits: { readonly maxEntries?: number; readonly maxBytesPerCall?: number } = {},
): M[][] => {
  const maxEntries = limits.maxEntries ?? SQS_MAX_ENTRIES_PER_CALL;
  const maxBytes = limits.maxBytesPerCall ?? SQS_MAX_BYTES_PER_CALL;
  const calls: M[][] = [];
  let current: M[] = [];
  let bytes = 0;
  for (const message of messages) {
    if (message.bytes > maxBytes) {
      throw new RangeError(
        `message ${message.index} is ${message.bytes} bytes, more than one SendMessageBatch call takes (${maxBytes})`,
      );
    }
    if (current.length === maxEntries || bytes + message.bytes > maxBytes) {
      calls.push(current);
      current = [];
      bytes = 0;
    }
    current.push(message);
    bytes += message.bytes;
  }
  if (current.length > 0) calls.push(current);
  return calls;
};

/**
 * A message body as SQS takes it. SQS refuses a body holding a character outside XML's range
 * (`InvalidMessageContents`); JSON.stringify escapes control characters and lone surrogates
 * but leaves U+FFFE and U+FFFF as they are, and those can only stand inside JSON strings,
 * where their escapes mean the same.
 */
const sqsSafeJson = (json: string): string =>
  json.replace(/[\uFFFE\uFFFF]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);

export {
  packMessages,
  type SizedMessage,
  SQS_MAX_BYTES_PER_CALL,
  SQS_MAX_ENTRIES_PER_CALL,
  SQS_MAX_MESSAGE_BYTES,
  sqsSafeJson,
};
