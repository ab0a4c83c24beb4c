import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
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

/**
 * Sends one SQS message per line, ten per SendMessageBatch call, a few calls at a time.
 * Lines are sent as they are (bad ones included: refusing them is the collector's job).
 * Returns how many were sent; throws if any entry was refused by SQS.
 */
const sendRequests = async (
  sqs: SQSClient,
  queueUrl: string,
  lines: readonly string[],
): Promise<number> => {
  const chunks: string[][] = [];
  for (let i = 0; i < lines.length; i += 10) chunks.push(lines.slice(i, i + 10) as string[]);
  const outcomes = await mapWithConcurrency(chunks, 8, async (chunk) => {
    const response = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: chunk.map((body, id) => ({ Id: String(id), MessageBody: body })),
      }),
    );
    const failed = response.Failed ?? [];
    if (failed.length > 0) {
      throw new Error(
        `SQS refused ${failed.length} messages: ${failed[0]?.Code} ${failed[0]?.Message ?? ''}`,
      );
    }
    return chunk.length;
  });
  let sent = 0;
  for (const outcome of outcomes) {
    if (outcome.status === 'rejected') throw outcome.reason;
    sent += outcome.value;
  }
  return sent;
};

export { deadlinePlaceholders, fillPlaceholders, sendRequests };
