import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { createAwsClients } from '../adapters/aws/createAwsClients.js';
import { ensureStateTable } from '../adapters/aws/stateTable.js';
import { createRuntime, type Runtime } from '../composition/createRuntime.js';
import { ENV } from '../config/BatchlaneConfig.js';
import { type RunningSimulator, startSimulator } from '../simulator/startSimulator.js';
import { startAwsEmulators } from './emulators/startAwsEmulators.js';
import { ScheduleRunner } from './ScheduleRunner.js';
import { SqsEventSourceMapping } from './SqsEventSourceMapping.js';

/** The three functions, by the name each passes to `createRuntime`. */
type LocalFunctionName = 'collector' | 'poller' | 'completion';

/** How one function is run locally. */
interface LocalFunctionOptions {
  /** Invocation timeout (ms); defaults as deployed: collector 120 s, poller 120 s, completion 300 s. */
  readonly timeoutMs?: number;
  /** SQS-driven functions: invocations in flight at once (default 1). */
  readonly maxConcurrency?: number;
  /** Visibility timeout of the function's queue (s); default `visibilityTimeoutSeconds`. */
  readonly visibilityTimeoutSeconds?: number;
}

interface LocalStackOptions {
  /** Simulated provider processing time per batch (ms). */
  readonly processingMs?: number;
  /** How often the poller runs, and its base poll interval (ms). */
  readonly pollIntervalMs?: number;
  /** Collector event source: records per invocation and batching window. */
  readonly collectorBatchSize?: number;
  readonly collectorBatchingWindowMs?: number;
  /** Visibility timeout of the intake and completion queues (s); failed records return after it. */
  readonly visibilityTimeoutSeconds?: number;
  /** How long a submitting or completing run owns a batch (s); at least the longest timeout. */
  readonly leaseSeconds?: number;
  /** Receives before a message goes to its DLQ. */
  readonly maxReceiveCount?: number;
  /** Caps on requests per provider batch (demo and tests use small batches). */
  readonly maxRequestsPerBatch?: number;
  /** Use real providers when their API keys are in the environment (default true). */
  readonly realProvidersFromEnv?: boolean;
  /** Extra simulator options, e.g. faults. */
  readonly simulator?: Parameters<typeof startSimulator>[0];
  /** Called with a line for the console on notable happenings. */
  readonly log?: (line: string) => void;
  /** Most provider attempts per request. Default: the deployment's. */
  readonly maxAttempts?: number;
  /** Per-function timeouts, concurrency and queue visibility (tests make them short). */
  readonly functions?: Partial<Record<LocalFunctionName, LocalFunctionOptions>>;
  /**
   * Replaces the runtime a function is built with (e.g. ports that crash between I/O calls,
   * a faster clock). Each function's runtime is still built from the environment first.
   */
  readonly wrapRuntime?: (
    functionName: LocalFunctionName,
    runtime: Runtime,
  ) => Runtime | Promise<Runtime>;
}

interface LocalStack {
  readonly env: Record<string, string>;
  readonly intakeQueueUrl: string;
  readonly intakeDlqUrl: string;
  readonly completionQueueUrl: string;
  readonly completionDlqUrl: string;
  readonly resultsQueueUrl: string;
  readonly eventsQueueUrl: string;
  readonly artifactsBucket: string;
  readonly resultsBucket: string;
  readonly tableName: string;
  readonly eventBusName: string;
  readonly resultsEventBusName: string;
  readonly simulator: RunningSimulator | null;
  readonly providers: { readonly anthropic: string; readonly openai: string };
  readonly emulators: Awaited<ReturnType<typeof startAwsEmulators>>;
  /** Runs the poller once now (tests use it instead of waiting for the schedule). */
  pollNow(): Promise<void>;
  stop(): Promise<void>;
}

const createQueue = async (
  sqs: SQSClient,
  name: string,
  attributes: Record<string, string>,
): Promise<{ url: string; arn: string }> => {
  const created = await sqs.send(
    new CreateQueueCommand({ QueueName: name, Attributes: attributes }),
  );
  const url = created.QueueUrl ?? '';
  const attrs = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
  );
  return {
    url,
    arn: attrs.Attributes?.['QueueArn'] ?? `arn:aws:sqs:us-east-1:000000000000:${name}`,
  };
};

/**
 * batchlane on one machine: AWS-API emulators on loopback (fauxqs for SQS and S3, DynamoDB
 * Local, a PutEvents endpoint), the provider simulator (or the real providers when their API
 * keys are set), and the very handlers the stack deploys, driven the way AWS drives them.
 */
const startLocalStack = async (options: LocalStackOptions = {}): Promise<LocalStack> => {
  const log = options.log ?? (() => undefined);
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  const visibility = (name: LocalFunctionName): string =>
    String(
      options.functions?.[name]?.visibilityTimeoutSeconds ?? options.visibilityTimeoutSeconds ?? 30,
    );
  const maxReceiveCount = String(options.maxReceiveCount ?? 5);

  const emulators = await startAwsEmulators();
  const aws = createAwsClients(emulators.env);

  const intakeDlq = await createQueue(aws.sqs, 'batchlane-intake-dlq', {});
  const intake = await createQueue(aws.sqs, 'batchlane-intake', {
    VisibilityTimeout: visibility('collector'),
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: intakeDlq.arn, maxReceiveCount }),
  });
  const completionDlq = await createQueue(aws.sqs, 'batchlane-completion-dlq', {});
  const completion = await createQueue(aws.sqs, 'batchlane-completion', {
    VisibilityTimeout: visibility('completion'),
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: completionDlq.arn, maxReceiveCount }),
  });
  const results = await createQueue(aws.sqs, 'batchlane-demo-results', {});
  const events = await createQueue(aws.sqs, 'batchlane-events', {});
  emulators.eventBridge.forwardTo(aws.sqs, events.url);

  const artifactsBucket = 'batchlane-artifacts';
  const resultsBucket = 'batchlane-demo-results';
  await aws.s3.send(new CreateBucketCommand({ Bucket: artifactsBucket }));
  await aws.s3.send(new CreateBucketCommand({ Bucket: resultsBucket }));
  const tableName = 'batchlane-state';
  await ensureStateTable(aws.dynamodb, tableName);

  const useReal = options.realProvidersFromEnv ?? true;
  const realAnthropic = useReal && (process.env['ANTHROPIC_API_KEY'] ?? '') !== '';
  const realOpenai = useReal && (process.env['OPENAI_API_KEY'] ?? '') !== '';
  const simulator =
    realAnthropic && realOpenai
      ? null
      : await startSimulator({
          port: 0,
          processingMs: options.processingMs ?? 1500,
          ...options.simulator,
        });

  const fn = (name: LocalFunctionName): LocalFunctionOptions => options.functions?.[name] ?? {};
  const env: Record<string, string> = {
    ...emulators.env,
    [ENV.tableName]: tableName,
    [ENV.bucketName]: artifactsBucket,
    [ENV.eventBusName]: 'batchlane',
    [ENV.completionQueueUrl]: completion.url,
    [ENV.pollIntervalSeconds]: String(Math.max(1, Math.round(pollIntervalMs / 1000))),
    // Runs own a batch for as long as the longest local function timeout, then others take over.
    [ENV.leaseSeconds]: String(
      options.leaseSeconds ??
        Math.ceil(
          Math.max(
            fn('collector').timeoutMs ?? 120_000,
            fn('completion').timeoutMs ?? 300_000,
            fn('poller').timeoutMs ?? 120_000,
          ) / 1000,
        ) + 10,
    ),
    [ENV.allowPrivateWebhooks]: 'true',
    [ENV.webhookSecret]: 'local-webhook-secret',
    ...(options.maxRequestsPerBatch === undefined
      ? {}
      : { [ENV.maxRequestsPerBatch]: String(options.maxRequestsPerBatch) }),
    ...(options.maxAttempts === undefined
      ? {}
      : { [ENV.maxAttempts]: String(options.maxAttempts) }),
    [ENV.anthropicApiKey]: realAnthropic ? (process.env['ANTHROPIC_API_KEY'] ?? '') : 'sim-key',
    [ENV.openaiApiKey]: realOpenai ? (process.env['OPENAI_API_KEY'] ?? '') : 'sim-key',
    ...(realAnthropic || simulator === null
      ? {}
      : { [ENV.anthropicBaseUrl]: simulator.anthropicBaseUrl }),
    ...(realOpenai || simulator === null ? {} : { [ENV.openaiBaseUrl]: simulator.openaiBaseUrl }),
    POWERTOOLS_LOG_LEVEL: process.env['POWERTOOLS_LOG_LEVEL'] ?? 'ERROR',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_SERVICE_NAME: 'batchlane',
  };
  // The handlers read their configuration from the environment at import, as in Lambda.
  Object.assign(process.env, env);

  const collectorModule = await import('../../functions/collector.js');
  const completionModule = await import('../../functions/completion.js');
  const pollerModule = await import('../../functions/poller.js');
  // Without a wrapper, the handlers the modules built at import run, exactly as deployed.
  const { wrapRuntime } = options;
  const runtimeFor = async (name: LocalFunctionName): Promise<Runtime> => {
    if (wrapRuntime === undefined) throw new Error('no runtime wrapper');
    return wrapRuntime(name, await createRuntime(process.env, name));
  };
  const collector =
    wrapRuntime === undefined
      ? collectorModule.handler
      : collectorModule.makeCollectorHandler(await runtimeFor('collector'));
  const completionFn =
    wrapRuntime === undefined
      ? completionModule.handler
      : completionModule.makeCompletionHandler(await runtimeFor('completion'));
  const poller =
    wrapRuntime === undefined
      ? pollerModule.handler
      : pollerModule.makePollerHandler(await runtimeFor('poller'));

  const report =
    (name: string) =>
    ({ records, failed, error }: { records: number; failed: number; error: unknown }): void => {
      if (error !== null)
        log(`${name}: invocation failed (${String(error)}); ${records} records will be retried`);
      else if (failed > 0) log(`${name}: ${failed} of ${records} records handed back for retry`);
    };
  const collectorMapping = new SqsEventSourceMapping({
    client: aws.sqs,
    queueUrl: intake.url,
    queueArn: intake.arn,
    functionName: 'batchlane-collector',
    handler: collector,
    batchSize: options.collectorBatchSize ?? 100,
    batchingWindowMs: options.collectorBatchingWindowMs ?? 1000,
    timeoutMs: fn('collector').timeoutMs ?? 120_000,
    memoryMb: 1024,
    maxConcurrency: fn('collector').maxConcurrency ?? 1,
    onInvoke: report('collector'),
  });
  const completionMapping = new SqsEventSourceMapping({
    client: aws.sqs,
    queueUrl: completion.url,
    queueArn: completion.arn,
    functionName: 'batchlane-completion',
    handler: completionFn,
    batchSize: 1,
    batchingWindowMs: 0,
    timeoutMs: fn('completion').timeoutMs ?? 300_000,
    memoryMb: 1024,
    maxConcurrency: fn('completion').maxConcurrency ?? 1,
    onInvoke: report('completion'),
  });
  const pollerSchedule = new ScheduleRunner({
    functionName: 'batchlane-poller',
    handler: poller,
    intervalMs: pollIntervalMs,
    timeoutMs: fn('poller').timeoutMs ?? 120_000,
    onRun: (error) => {
      if (error !== null) log(`poller: ${String(error)}`);
    },
  });
  collectorMapping.start();
  completionMapping.start();
  pollerSchedule.start();

  return {
    env,
    intakeQueueUrl: intake.url,
    intakeDlqUrl: intakeDlq.url,
    completionQueueUrl: completion.url,
    completionDlqUrl: completionDlq.url,
    resultsQueueUrl: results.url,
    eventsQueueUrl: events.url,
    artifactsBucket,
    resultsBucket,
    tableName,
    eventBusName: 'batchlane',
    resultsEventBusName: 'batchlane-demo-results',
    simulator,
    providers: {
      anthropic: realAnthropic ? 'api.anthropic.com' : (simulator?.anthropicBaseUrl ?? ''),
      openai: realOpenai ? 'api.openai.com' : (simulator?.openaiBaseUrl ?? ''),
    },
    emulators,
    pollNow: () => pollerSchedule.tick(),
    stop: async () => {
      await pollerSchedule.stop();
      await collectorMapping.stop();
      await completionMapping.stop();
      await simulator?.stop();
      await emulators.stop();
    },
  };
};

export {
  type LocalFunctionName,
  type LocalFunctionOptions,
  type LocalStack,
  type LocalStackOptions,
  startLocalStack,
};
