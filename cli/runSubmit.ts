import { readFileSync } from 'node:fs';
import { createAwsClients } from '../shared/adapters/aws/createAwsClients.js';
import { type CommandSpec, parseCommandLine, UsageError } from './commandLine.js';
import { DEV_FILE, readDevFile } from './devFile.js';
import { createProgress, type ProgressStream } from './progress.js';
import { fillPlaceholders, sendLines } from './sendRequests.js';
import { deadlinesFor, PLACEHOLDERS_FILE } from './submitPlaceholders.js';
import { summarizeSubmission } from './summarizeSubmission.js';

const SUBMIT_COMMAND = {
  name: 'submit',
  summary:
    'send one request message per line of a JSONL file to the running batchlane dev (or --queue-url)',
  arguments: 'FILE.jsonl',
  positionals: { min: 1, max: 1 },
  options: {
    'queue-url': {
      type: 'string',
      value: 'URL',
      description:
        'send to this intake queue with the AWS credentials in the environment (default: the running batchlane dev)',
    },
    'fresh-deadlines': {
      type: 'boolean',
      description: `fill {{deadline_soon}} and {{deadline_later}} anew instead of reusing the ones remembered in ${PLACEHOLDERS_FILE}`,
    },
  },
  details: [
    'Placeholders: {{results_queue_url}}, {{results_bucket}} and {{results_event_bus}} are filled from',
    `${DEV_FILE}; {{deadline_soon}} (2 h ahead) and {{deadline_later}} (3 days) are filled once per queue`,
    'and file and reused while still an hour ahead, so running the same file twice resends identical',
    'requests (folded by custom_id) instead of conflicting ones.',
    'Exit status: 0 when SQS took every line, 1 when it refused some, 2 for a usage error.',
  ].join('\n'),
} as const satisfies CommandSpec;

/**
 * `batchlane submit FILE.jsonl`: one request message per line. Against `batchlane dev` by
 * default (placeholders such as `{{results_queue_url}}` filled from its dev file), or any
 * queue with `--queue-url` and the AWS credentials in the environment. Prints what it sent,
 * by destination, and what SQS refused; shows progress on a terminal.
 */
const runSubmit = async (
  args: readonly string[],
  out: (line: string) => void,
  progressStream?: ProgressStream,
): Promise<number> => {
  const { values, positionals } = parseCommandLine(SUBMIT_COMMAND, args);
  const file = positionals[0] ?? '';
  const dev = readDevFile();
  const queueUrl = values['queue-url'] ?? dev?.intake_queue_url;
  if (queueUrl === undefined) {
    throw new UsageError(
      `no queue: start \`batchlane dev\` (it writes ${DEV_FILE}) or pass --queue-url`,
    );
  }
  const env =
    values['queue-url'] === undefined && dev !== null
      ? { ...process.env, ...dev.env }
      : process.env;
  const deadlines = deadlinesFor({
    queueUrl,
    file,
    now: new Date(),
    fresh: values['fresh-deadlines'] === true,
  });
  const placeholders: Record<string, string> = {
    ...deadlines.values,
    ...(dev === null
      ? {}
      : {
          results_queue_url: dev.results_queue_url,
          results_bucket: dev.results_bucket,
          results_event_bus: dev.results_event_bus,
        }),
  };
  const lines = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => fillPlaceholders(l, placeholders));
  const progress = createProgress({
    label: `sending ${file}`,
    ...(progressStream === undefined ? {} : { stream: progressStream }),
  });
  const aws = createAwsClients(env);
  try {
    const outcomes = await sendLines(aws.sqs, queueUrl, lines, (done, total) =>
      progress.update(done, total),
    );
    progress.finish();
    for (const line of summarizeSubmission({ file, queueUrl, lines, outcomes })) out(line);
    if (deadlines.reusedFrom !== null) {
      out(
        `  deadlines: the ones filled in at ${deadlines.reusedFrom} (an identical resend is folded; --fresh-deadlines for new ones)`,
      );
    }
    out(
      '  results arrive at those destinations; a request batchlane refuses arrives there as a `rejected` result and as a Request Rejected event (matched by message_id)',
    );
    return outcomes.every((o) => o.sent) ? 0 : 1;
  } finally {
    aws.destroy();
  }
};

export { runSubmit, SUBMIT_COMMAND };
