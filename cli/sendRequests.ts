import type { SQSClient } from '@aws-sdk/client-sqs';
import { type MessageOutcome, sendMessages } from '../client/sendMessages.js';

/** Fills `{{name}}` placeholders (sample files name destinations that exist only at run time). */
const fillPlaceholders = (line: string, values: Readonly<Record<string, string>>): string =>
  line.replace(/\{\{([a-z_]+)\}\}/g, (match, name: string) => values[name] ?? match);

/**
 * Deadlines relative to the moment of sending, for sample files that show the `auto` lane:
 * `{{deadline_soon}}` (2 hours: inside a batch's window, so flex) and `{{deadline_later}}`
 * (3 days: room for a batch).
 */
const deadlinePlaceholders = (now: Date): Record<string, string> => ({
  deadline_soon: new Date(now.getTime() + 2 * 3_600_000).toISOString(),
  deadline_later: new Date(now.getTime() + 3 * 86_400_000).toISOString(),
});

/** What happened to one line (its `index`): the producer client's outcome of its message. */
type LineOutcome = MessageOutcome;

/**
 * Sends one SQS message per line with the producer client's sender (SendMessageBatch calls
 * within SQS's count and size limits, entries SQS failed on its side retried with backoff),
 * and says what happened to each line. Lines are sent as they are (bad ones included:
 * refusing them is the collector's job); an entry SQS refuses, or a call that fails, is
 * reported against its lines instead of stopping the others.
 */
const sendLines = async (
  sqs: SQSClient,
  queueUrl: string,
  lines: readonly string[],
  onProgress: (done: number, total: number) => void = () => undefined,
): Promise<LineOutcome[]> => sendMessages(lines, { sqs, queueUrl, onProgress });

/**
 * Sends one SQS message per line (see {@link sendLines}) and returns how many were sent;
 * throws if SQS refused any of them.
 */
const sendRequests = async (
  sqs: SQSClient,
  queueUrl: string,
  lines: readonly string[],
): Promise<number> => {
  const outcomes = await sendLines(sqs, queueUrl, lines);
  const refused = outcomes.filter((o) => !o.sent);
  const first = refused[0];
  if (first !== undefined && !first.sent) {
    throw new Error(`SQS refused ${refused.length} messages: ${first.code} ${first.message}`);
  }
  return outcomes.length;
};

export { deadlinePlaceholders, fillPlaceholders, type LineOutcome, sendLines, sendRequests };
