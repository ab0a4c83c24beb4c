import type { LineOutcome } from './sendRequests.js';

const field = (value: unknown, name: string): string | null => {
  const v = (value as Record<string, unknown>)[name];
  return typeof v === 'string' ? v : null;
};

/**
 * Where a request line asks its result to go, as the summary names it: `sqs <queue url>`,
 * `s3 s3://bucket/prefix`, `eventbridge bus <name>`, `webhook <url>`; `(deployment default)`
 * without a destination and `(unreadable)` for a line that is not a JSON object (batchlane
 * refuses those at intake, after the send).
 */
const destinationOf = (line: string): string => {
  let request: unknown;
  try {
    request = JSON.parse(line);
  } catch {
    return '(unreadable)';
  }
  if (typeof request !== 'object' || request === null || Array.isArray(request)) {
    return '(unreadable)';
  }
  const destination = (request as { destination?: unknown }).destination;
  if (destination === undefined) return '(deployment default)';
  if (typeof destination !== 'object' || destination === null) return '(invalid destination)';
  switch (field(destination, 'type')) {
    case 'sqs':
      return `sqs ${field(destination, 'queue_url') ?? '?'}`;
    case 's3':
      return `s3 s3://${field(destination, 'bucket') ?? '?'}/${field(destination, 'prefix') ?? ''}`;
    case 'eventbridge':
      return `eventbridge bus ${field(destination, 'event_bus_name') ?? '?'}`;
    case 'webhook':
      return `webhook ${field(destination, 'url') ?? '?'}`;
    default:
      return '(invalid destination)';
  }
};

/**
 * What `batchlane submit` did, in a few lines: how many messages SQS took, how many went to
 * each destination, and each line SQS refused with its code (at most `maxRefusals` listed).
 */
const summarizeSubmission = (options: {
  readonly file: string;
  readonly queueUrl: string;
  readonly lines: readonly string[];
  readonly outcomes: readonly LineOutcome[];
  readonly maxRefusals?: number;
}): string[] => {
  const { lines, outcomes } = options;
  const sent = outcomes.filter((o) => o.sent);
  const refused = outcomes.filter((o): o is Extract<LineOutcome, { sent: false }> => !o.sent);
  const byDestination = new Map<string, number>();
  for (const outcome of sent) {
    const destination = destinationOf(lines[outcome.index] ?? '');
    byDestination.set(destination, (byDestination.get(destination) ?? 0) + 1);
  }
  const summary = [
    `sent ${sent.length} of ${lines.length} request messages from ${options.file} to ${options.queueUrl}`,
  ];
  if (sent.length > 0) {
    summary.push('  by destination:');
    for (const [destination, count] of [...byDestination].sort((a, b) => b[1] - a[1])) {
      summary.push(`    ${String(count).padStart(6)}  ${destination}`);
    }
  }
  summary.push(`  refused at send: ${refused.length}`);
  const shown = options.maxRefusals ?? 10;
  for (const outcome of refused.slice(0, shown)) {
    summary.push(`    line ${outcome.index + 1}: ${outcome.code} ${outcome.message}`.trimEnd());
  }
  if (refused.length > shown) summary.push(`    … and ${refused.length - shown} more`);
  return summary;
};

export { destinationOf, summarizeSubmission };
