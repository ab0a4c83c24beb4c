import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { errorMessage } from '../shared/domain/errors.js';
import { mapWithConcurrency } from '../shared/domain/mapWithConcurrency.js';

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

/** SQS's limits on one SendMessageBatch call: 10 entries, and their bodies' total size. */
const MAX_ENTRIES_PER_CALL = 10;
const MAX_BYTES_PER_CALL = 1_048_576;

/** What happened to one line: sent (with its SQS message id), or refused by SQS and why. */
type LineOutcome =
  | { readonly line: number; readonly sent: true; readonly messageId: string }
  | {
      readonly line: number;
      readonly sent: false;
      readonly code: string;
      readonly message: string;
    };

/** Groups line indexes into SendMessageBatch calls within SQS's count and size limits. */
const packCalls = (lines: readonly string[]): number[][] => {
  const calls: number[][] = [];
  let current: number[] = [];
  let bytes = 0;
  lines.forEach((line, index) => {
    const size = Buffer.byteLength(line);
    if (
      current.length === MAX_ENTRIES_PER_CALL ||
      (current.length > 0 && bytes + size > MAX_BYTES_PER_CALL)
    ) {
      calls.push(current);
      current = [];
      bytes = 0;
    }
    current.push(index);
    bytes += size;
  });
  if (current.length > 0) calls.push(current);
  return calls;
};

const errorCode = (error: unknown): string =>
  error instanceof Error && error.name !== 'Error' ? error.name : 'SendFailed';

/**
 * Sends one SQS message per line, up to ten per SendMessageBatch call, a few calls at a time,
 * and says what happened to each line. Lines are sent as they are (bad ones included:
 * refusing them is the collector's job); an entry SQS refuses, or a call that fails, is
 * reported against its lines instead of stopping the others.
 */
const sendLines = async (
  sqs: SQSClient,
  queueUrl: string,
  lines: readonly string[],
  onProgress: (done: number, total: number) => void = () => undefined,
): Promise<LineOutcome[]> => {
  const outcomes: LineOutcome[] = new Array(lines.length);
  let done = 0;
  await mapWithConcurrency(packCalls(lines), 8, async (call) => {
    try {
      const response = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: call.map((line) => ({ Id: String(line), MessageBody: lines[line] ?? '' })),
        }),
      );
      for (const ok of response.Successful ?? []) {
        const line = Number(ok.Id);
        outcomes[line] = { line, sent: true, messageId: ok.MessageId ?? '' };
      }
      for (const failed of response.Failed ?? []) {
        const line = Number(failed.Id);
        outcomes[line] = {
          line,
          sent: false,
          code: failed.Code ?? 'Failed',
          message: failed.Message ?? '',
        };
      }
    } catch (error) {
      for (const line of call) {
        outcomes[line] = {
          line,
          sent: false,
          code: errorCode(error),
          message: errorMessage(error),
        };
      }
    }
    done += call.length;
    onProgress(done, lines.length);
  });
  return outcomes;
};

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
