import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { type AwsEnv, createAwsClients } from '../shared/adapters/aws/createAwsClients.js';
import {
  type BuiltInProviderName,
  DEFAULT_ENABLED_PROVIDERS,
  isBuiltInProvider,
} from '../shared/contract/providers.js';
import { type CommandSpec, formatCommandHelp, parseCommandLine } from './commandLine.js';
import { sendRequests } from './sendRequests.js';
import { buildSmokeRequests } from './smoke/buildSmokeRequests.js';
import { parseQueueUrl, readStackOutputs } from './smoke/readStackOutputs.js';
import {
  allowListAdvice,
  createResultsQueue,
  deleteResultsQueue,
  isQueueAllowed,
  smokeQueueName,
  sqsResultReceiver,
} from './smoke/resultsQueue.js';
import { summarizeOutcome } from './smoke/summarizeOutcome.js';
import { waitForResults } from './smoke/waitForResults.js';

const SMOKE_COMMAND = {
  name: 'smoke',
  summary:
    'send a few tiny requests through a deployed stack (real provider batches) and wait for their results',
  options: {
    'outputs-file': {
      type: 'string',
      value: 'FILE',
      default: 'outputs.json',
      description: 'the outputs of `npx cdk deploy --outputs-file outputs.json`',
    },
    stack: { type: 'string', value: 'NAME', description: 'the stack, when the file holds several' },
    region: { type: 'string', value: 'R', description: "AWS region (default: the stack's)" },
    count: { type: 'string', value: 'N', default: '4', description: 'requests to send' },
    'timeout-seconds': {
      type: 'string',
      value: 'S',
      default: '3600',
      description: 'how long to wait for the results',
    },
    'results-queue-url': {
      type: 'string',
      value: 'URL',
      description: 'an existing queue for the results (default: a temporary <stack>-smoke-results)',
    },
    providers: {
      type: 'string',
      value: 'anthropic,openai',
      description: 'the providers to try (default: every enabled one)',
    },
    'anthropic-model': { type: 'string', value: 'M', description: 'the Anthropic model to ask' },
    'openai-model': { type: 'string', value: 'M', description: 'the OpenAI model to ask' },
    'keep-queue': {
      type: 'boolean',
      description: 'keep the temporary results queue afterwards',
    },
  },
} as const satisfies CommandSpec;

const SMOKE_USAGE = formatCommandHelp('batchlane', SMOKE_COMMAND);

/** Exit code when the deployment would refuse the results queue (nothing was sent). */
const EXIT_NOT_ALLOWED = 2;

const positiveInt = (name: string, raw: string): number => {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`--${name} must be a positive integer, got "${raw}"`);
  }
  return value;
};

/**
 * `batchlane smoke`: sends a few tiny requests through a deployed stack (both enabled
 * providers, real provider batches) and waits for their results on an SQS queue, using the
 * AWS credentials of the environment. The stack is read from the outputs file of
 * `npx cdk deploy --outputs-file outputs.json`. Unless `--results-queue-url` names one, a
 * temporary queue `<stack>-smoke-results` is created, and deleted once every result is in.
 */
const runSmoke = async (
  args: readonly string[],
  out: (line: string) => void,
  env: AwsEnv = process.env,
): Promise<number> => {
  const { values, help } = parseCommandLine(SMOKE_COMMAND, args);
  if (help) {
    out(SMOKE_USAGE);
    return 0;
  }
  const outputsFile = values['outputs-file'];
  if (!existsSync(outputsFile)) {
    out(
      `no outputs file ${outputsFile}: deploy with \`npx cdk deploy --outputs-file outputs.json\` (or pass --outputs-file)\n\n${SMOKE_USAGE}`,
    );
    return 1;
  }
  const target = readStackOutputs(readFileSync(outputsFile, 'utf8'), values.stack);
  const count = positiveInt('count', values.count);
  const timeoutMs = positiveInt('timeout-seconds', values['timeout-seconds']) * 1000;
  const region = values.region ?? target.region;

  const enabled = target.enabledProviders ?? DEFAULT_ENABLED_PROVIDERS;
  const asked = values.providers?.split(',').map((p) => p.trim()) ?? [...enabled];
  // The smoke test knows a model of each built-in provider only.
  const unknown = asked.filter((p) => !isBuiltInProvider(p) || !enabled.includes(p));
  if (unknown.length > 0) {
    out(
      `providers not enabled in ${target.stackName}: ${unknown.join(', ')} (enabled: ${enabled.join(', ')})`,
    );
    return 1;
  }
  const providers: BuiltInProviderName[] = asked.filter(isBuiltInProvider);

  // The results queue and its ARN, which the deployment's allow-list must name.
  const given = values['results-queue-url'];
  const temporary = given === undefined;
  const queueName = smokeQueueName(target.stackName);
  const queueArn =
    given === undefined
      ? `arn:${target.partition}:sqs:${region}:${target.account}:${queueName}`
      : (parseQueueUrl(given)?.arn ?? null);
  const allowed = queueArn === null ? null : isQueueAllowed(target.allowList, queueArn);
  if (allowed === false && queueArn !== null) {
    out(allowListAdvice(target.stackName, queueArn));
    return EXIT_NOT_ALLOWED;
  }
  if (allowed === null) {
    out(
      `cannot tell whether ${target.stackName} allows results to go to ${queueArn ?? given}: ` +
        'its outputs have no DestinationAllowList; if nothing arrives, check the destinationQueueArns context',
    );
  }

  const clients = createAwsClients({ ...env, AWS_REGION: region });
  let resultsQueueUrl = given;
  let keepQueue = values['keep-queue'] === true;
  try {
    if (resultsQueueUrl === undefined) {
      resultsQueueUrl = await createResultsQueue(clients.sqs, queueName);
      out(`created temporary results queue ${resultsQueueUrl}`);
    }
    const runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
    const requests = buildSmokeRequests({
      runId,
      count,
      providers,
      resultsQueueUrl,
      models: {
        ...(values['anthropic-model'] === undefined
          ? {}
          : { anthropic: values['anthropic-model'] }),
        ...(values['openai-model'] === undefined ? {} : { openai: values['openai-model'] }),
      },
    });
    await sendRequests(
      clients.sqs,
      target.intakeQueueUrl,
      requests.map((request) => JSON.stringify(request)),
    );
    out(
      `sent ${count} requests (${providers.join(', ')}) to ${target.stackName}, run ${runId}; ` +
        `waiting up to ${timeoutMs / 1000} s (provider batches usually end within minutes, at most 24 h)`,
    );
    const expected = requests.map((request) => request.custom_id);
    const expectedIds = new Set(expected);
    const outcome = await waitForResults({
      expected,
      receive: sqsResultReceiver(clients.sqs, resultsQueueUrl, {
        // A temporary queue is this run's alone; in a given queue only this run's results are.
        owns: (result) => temporary || (result !== null && expectedIds.has(result.customId)),
      }),
      now: () => Date.now(),
      timeoutMs,
      progress: out,
    });
    const summary = summarizeOutcome(outcome, count);
    for (const line of summary.lines) out(line);
    if (outcome.missing.length > 0) {
      // Deleting the queue now would make the pending deliveries fail and retry into the
      // completion dead-letter queue.
      keepQueue = true;
      out(
        [
          'Results still pending. Batches can take up to 24 h; the requests go on without this command.',
          `Look at the dashboard (output DashboardName) and the dead-letter queues of ${target.stackName},`,
          'at the completion logs for "results not delivered", and under parked/ in the artifacts bucket',
          '(results a destination refused are parked there; `batchlane replay` sends them again).',
          temporary
            ? `The queue ${resultsQueueUrl} is kept for them; delete it with \`aws sqs delete-queue --queue-url ${resultsQueueUrl}\` once they are in.`
            : '',
        ]
          .filter((line) => line !== '')
          .join('\n'),
      );
    }
    return summary.ok ? 0 : 1;
  } finally {
    if (temporary && resultsQueueUrl !== undefined && !keepQueue) {
      await deleteResultsQueue(clients.sqs, resultsQueueUrl);
      out(`deleted temporary results queue ${resultsQueueUrl}`);
    }
    clients.destroy();
  }
};

export { EXIT_NOT_ALLOWED, runSmoke, SMOKE_COMMAND, SMOKE_USAGE };
