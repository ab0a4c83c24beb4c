import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createAwsClients } from '../shared/adapters/aws/createAwsClients.js';
import { DEV_FILE, readDevFile } from './devFile.js';
import { deadlinePlaceholders, fillPlaceholders, sendRequests } from './sendRequests.js';

/**
 * `batchlane submit FILE.jsonl`: one request message per line. Against `batchlane dev` by
 * default (placeholders such as `{{results_queue_url}}` filled from its dev file), or any
 * queue with `--queue-url` and the AWS credentials in the environment.
 */
const runSubmit = async (args: readonly string[], out: (line: string) => void): Promise<number> => {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: { 'queue-url': { type: 'string' } },
  });
  const file = positionals[0];
  if (file === undefined) {
    out('usage: batchlane submit FILE.jsonl [--queue-url URL]');
    return 1;
  }
  const dev = readDevFile();
  const queueUrl = values['queue-url'] ?? dev?.intake_queue_url;
  if (queueUrl === undefined) {
    out(`no queue: start \`batchlane dev\` (it writes ${DEV_FILE}) or pass --queue-url`);
    return 1;
  }
  const env =
    values['queue-url'] === undefined && dev !== null
      ? { ...process.env, ...dev.env }
      : process.env;
  const placeholders: Record<string, string> = {
    ...deadlinePlaceholders(new Date()),
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
  const sent = await sendRequests(createAwsClients(env).sqs, queueUrl, lines);
  out(`sent ${sent} request messages to ${queueUrl}`);
  return 0;
};

export { runSubmit };
