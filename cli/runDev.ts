import { rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startLocalStack } from '../local/stack/startLocalStack.js';
import { DEV_FILE, writeDevFile } from './devFile.js';

/**
 * `batchlane dev`: the local stack, kept running. Writes `.batchlane/dev.json` so any
 * producer can find the intake queue and the emulator endpoints; stops on SIGINT/SIGTERM.
 */
const runDev = async (args: readonly string[], out: (line: string) => void): Promise<number> => {
  const { values } = parseArgs({
    args: [...args],
    options: {
      'processing-ms': { type: 'string', default: '3000' },
      'poll-interval-ms': { type: 'string', default: '1000' },
    },
  });
  const stack = await startLocalStack({
    processingMs: Number(values['processing-ms']),
    pollIntervalMs: Number(values['poll-interval-ms']),
    log: out,
  });
  const awsEnv = Object.fromEntries(
    Object.entries(stack.env).filter(([k]) => k.startsWith('AWS_')),
  );
  writeDevFile({
    intake_queue_url: stack.intakeQueueUrl,
    results_queue_url: stack.resultsQueueUrl,
    results_bucket: stack.resultsBucket,
    results_event_bus: stack.resultsEventBusName,
    artifacts_bucket: stack.artifactsBucket,
    table_name: stack.tableName,
    event_bus_name: stack.eventBusName,
    events_queue_url: stack.eventsQueueUrl,
    env: awsEnv,
    providers: stack.providers,
    pid: process.pid,
    started_at: new Date().toISOString(),
  });
  out('batchlane dev: running');
  out(`  intake queue:   ${stack.intakeQueueUrl}`);
  out(`  results queue:  ${stack.resultsQueueUrl}`);
  out(`  events queue:   ${stack.eventsQueueUrl} (every event batchlane publishes)`);
  out(`  buckets:        ${stack.artifactsBucket} (artifacts), ${stack.resultsBucket} (results)`);
  out(`  table:          ${stack.tableName}`);
  out(
    `  providers:      anthropic → ${stack.providers.anthropic}, openai → ${stack.providers.openai}, bedrock → ${stack.providers.bedrock}`,
  );
  for (const [k, v] of Object.entries(awsEnv)) out(`  ${k}=${v}`);
  out(`  written to ${DEV_FILE}; send requests with: npx batchlane submit examples/requests.jsonl`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  out('batchlane dev: stopping');
  await stack.stop();
  rmSync(DEV_FILE, { force: true });
  return 0;
};

export { runDev };
