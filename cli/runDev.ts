import { rmSync } from 'node:fs';
import { startLocalStack } from '../local/stack/startLocalStack.js';
import { createAwsClients } from '../shared/adapters/aws/createAwsClients.js';
import { systemClock } from '../shared/adapters/system/systemClock.js';
import { ENV } from '../shared/config/BatchlaneConfig.js';
import type { BatchFacts } from '../shared/ports/StatusReader.js';
import { readStatus } from '../shared/usecases/readStatus.js';
import { type CommandSpec, parseCommandLine } from './commandLine.js';
import { DEV_FILE, writeDevFile } from './devFile.js';
import { describeEvent, describeFunctionOutput, subscribeToEvents } from './devLog.js';
import { startStatusServer } from './statusServer.js';
import { openStatusReader, statusSettingsOf } from './statusSource.js';

const DEV_COMMAND = {
  name: 'dev',
  summary: 'run the local stack until stopped (Ctrl-C); writes .batchlane/dev.json',
  options: {
    'processing-ms': {
      type: 'string',
      value: 'MS',
      default: '3000',
      description: 'how long the provider simulator takes per batch',
    },
    'poll-interval-ms': {
      type: 'string',
      value: 'MS',
      default: '1000',
      description: 'how often the poller runs',
    },
    'status-port': {
      type: 'string',
      value: 'PORT',
      default: '4780',
      description: 'port of the status page (0: any free port; a busy port falls back to any)',
    },
    quiet: {
      type: 'boolean',
      short: 'q',
      description: 'print only the start-up lines, not one line per event',
    },
  },
} as const satisfies CommandSpec;

/** The status page on the port asked for, or on any free port when that one is taken. */
const startStatusPage = async (port: number, read: () => ReturnType<typeof readStatus>) => {
  const options = { read, label: 'batchlane dev', refreshMs: 1000 };
  try {
    return await startStatusServer({ ...options, port });
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'EADDRINUSE') throw error;
    return startStatusServer({ ...options, port: 0 });
  }
};

/** `BATCHLANE_PROVIDER_PROFILES` as the local stack's option (a JSON list; unset: none). */
const profilesFromEnvironment = (
  raw: string | undefined,
): { readonly providerProfiles?: readonly unknown[] } => {
  if (raw === undefined || raw.trim() === '') return {};
  const entries: unknown = JSON.parse(raw);
  if (!Array.isArray(entries)) throw new Error(`${ENV.providerProfiles} must be a JSON list`);
  return { providerProfiles: entries };
};

/**
 * `batchlane dev`: the local stack, kept running. Writes `.batchlane/dev.json` so any
 * producer can find the intake queue and the emulator endpoints; stops on SIGINT/SIGTERM.
 */
const runDev = async (args: readonly string[], out: (line: string) => void): Promise<number> => {
  const { values } = parseCommandLine(DEV_COMMAND, args);
  const quiet = values.quiet === true;
  const say = (text: string): void => out(`${new Date().toISOString().slice(11, 19)} ${text}`);
  const stack = await startLocalStack({
    processingMs: Number(values['processing-ms']),
    // The deployment's profiles as the functions take them: its own are served too.
    ...profilesFromEnvironment(process.env[ENV.providerProfiles]),
    pollIntervalMs: Number(values['poll-interval-ms']),
    log: out,
    // What CloudWatch Logs would hold (the functions' logs and metrics), one line per
    // happening: accepted, sealed, parked, and every warning.
    ...(quiet
      ? {}
      : {
          onFunctionOutput: (functionName: string, output: string) => {
            for (const text of describeFunctionOutput(functionName, output)) say(text);
          },
          environment: { POWERTOOLS_LOG_LEVEL: 'INFO', POWERTOOLS_METRICS_DISABLED: 'false' },
        }),
  });
  const aws = createAwsClients(stack.env);
  // The rest comes from batchlane's own bus, through a rule with an SQS target, as in AWS.
  const subscription = quiet
    ? null
    : await subscribeToEvents({
        sqs: aws.sqs,
        eventBridge: aws.eventBridge,
        busName: stack.eventBusName,
        name: 'batchlane-dev-console',
        onEvent: (event) => {
          const text = describeEvent(event);
          if (text !== null) say(text);
        },
        onError: (message) => say(`dev        events not read: ${message}`),
      });
  const awsEnv = {
    ...Object.fromEntries(Object.entries(stack.env).filter(([k]) => k.startsWith('AWS_'))),
    // Producers get the SQS endpoint that also speaks the query protocol (AWS CLI v1, boto3
    // before 1.31); it hands JSON-protocol calls to fauxqs as they are.
    AWS_ENDPOINT_URL_SQS: stack.emulators.sqsQuery.endpoint,
  };
  const settings = statusSettingsOf(stack.env);
  const completed = new Map<string, BatchFacts>();
  const status = openStatusReader({
    label: 'batchlane dev',
    tableName: stack.tableName,
    bucket: stack.artifactsBucket,
    intakeQueueUrl: stack.intakeQueueUrl,
    env: stack.env,
    settings,
  });
  const statusServer = await startStatusPage(Number(values['status-port']), () =>
    readStatus({
      reader: status.reader,
      clock: systemClock,
      settings,
      completed,
      ...(status.turnarounds === undefined ? {} : { turnarounds: status.turnarounds }),
    }),
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
    destination_allow_list: stack.env[ENV.destinationAllowList] ?? '',
    providers: stack.providers,
    webhook_secret: stack.webhookSecret,
    status_url: statusServer.url,
    batch_settings: {
      max_requests_per_batch: settings.maxRequestsPerBatch,
      batch_max_age_seconds: settings.batchMaxAgeSeconds,
    },
    ...(stack.receiver === null ? {} : { receiver: stack.receiver }),
    pid: process.pid,
    started_at: new Date().toISOString(),
  });
  out('batchlane dev: running');
  out(`  status page:    ${statusServer.url} (or \`batchlane status\` in a terminal)`);
  out(`  intake queue:   ${stack.intakeQueueUrl}`);
  out(`  results queue:  ${stack.resultsQueueUrl}`);
  out(`  events queue:   ${stack.eventsQueueUrl} (every event batchlane publishes)`);
  if (stack.receiver !== null) {
    out(`  receiver:       ${stack.receiver.url}<openai|gemini> (provider batch webhooks)`);
  }
  out(`  buckets:        ${stack.artifactsBucket} (artifacts), ${stack.resultsBucket} (results)`);
  out(`  table:          ${stack.tableName}`);
  out(
    `  providers:      ${Object.entries(stack.providers)
      .map(([name, url]) => `${name} → ${url}`)
      .join(', ')}`,
  );
  for (const [k, v] of Object.entries(awsEnv)) out(`  ${k}=${v}`);
  out(`  written to ${DEV_FILE}; send requests with: npx batchlane submit examples/requests.jsonl`);
  if (!quiet) out('  one line per event follows (--quiet for none)');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  out('batchlane dev: stopping');
  await subscription?.stop();
  await statusServer.stop();
  status.close();
  aws.destroy();
  await stack.stop();
  rmSync(DEV_FILE, { force: true });
  return 0;
};

export { DEV_COMMAND, runDev };
