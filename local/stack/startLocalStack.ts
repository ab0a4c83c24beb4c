import { randomBytes } from 'node:crypto';
import { PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { createAwsClients } from '../../shared/adapters/aws/createAwsClients.js';
import { ensureStateTable } from '../../shared/adapters/aws/stateTable.js';
import { createRuntime, type Runtime } from '../../shared/composition/createRuntime.js';
import { ENV, profileEnvNames } from '../../shared/config/BatchlaneConfig.js';
import { FUNCTION_SIZING } from '../../shared/config/functionSizing.js';
import { PUSH_ENV } from '../../shared/config/pushConfig.js';
import { SERVICE_NAME } from '../../shared/contract/metrics.js';
import {
  isBuiltInProfileId,
  type ProviderProfile,
  resolveProfiles,
} from '../../shared/contract/providerProfile.js';
import { PROVIDERS } from '../../shared/contract/providers.js';
import { BEDROCK_JOB_EVENT, ENDED_JOB_STATUSES } from '../../shared/domain/bedrockJobs.js';
import { type RunningSimulator, startSimulator } from '../simulator/startSimulator.js';
import { AwsCallRecorder, type RecordedAwsCall } from './AwsCallRecorder.js';
import { startAwsEmulators } from './emulators/startAwsEmulators.js';
import { FunctionUrlServer } from './FunctionUrlServer.js';
import type { FunctionStats } from './InvocationStats.js';
import type { IamRequest } from './iamRequestsOf.js';
import type { Isolation } from './lambdaContext.js';
import { ScheduleRunner } from './ScheduleRunner.js';
import { LOCAL_ACCOUNT_SENDER_ID, SqsEventSourceMapping } from './SqsEventSourceMapping.js';

/** The receiver's size as deployed (`infra/constructs/WebhookReceiver.ts`). */
const RECEIVER_TIMEOUT_MS = 10_000;
const RECEIVER_MEMORY_MB = 256;

/**
 * Names of the stack's own resources locally, each standing for one resource of the deployed
 * stack (the grant check maps the template's references to them).
 */
const LOCAL_RESOURCES = {
  intakeQueue: 'batchlane-intake',
  intakeDlq: 'batchlane-intake-dlq',
  completionQueue: 'batchlane-completion',
  completionDlq: 'batchlane-completion-dlq',
  realtimeQueue: 'batchlane-realtime',
  realtimeDlq: 'batchlane-realtime-dlq',
  artifactsBucket: 'batchlane-artifacts',
  table: 'batchlane-state',
  eventBus: 'batchlane',
} as const;

/** The three functions, by the name each passes to `createRuntime`. */
type LocalFunctionName = 'collector' | 'poller' | 'completion' | 'realtime';

/** How one function is run locally. */
interface LocalFunctionOptions {
  /** Invocation timeout (ms). Default: as deployed (`FUNCTION_SIZING`). */
  readonly timeoutMs?: number;
  /**
   * Memory (MB): bounds the function's heap under `worker` isolation and is what its context
   * reports. Default: as deployed (`FUNCTION_SIZING`).
   */
  readonly memoryMb?: number;
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
  /**
   * How long a batch fills before it is sealed (default 2 s: local runs are short; 0 seals
   * each collector invocation's batch at its end).
   */
  readonly batchMaxAgeSeconds?: number;
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
  /**
   * Receives each line a function writes to stdout under worker isolation (its logs and EMF
   * metrics, as CloudWatch Logs would); without it, that output goes to this process's stdout.
   */
  readonly onFunctionOutput?: (functionName: LocalFunctionName, line: string) => void;
  /**
   * How far ahead of the real time the functions and the simulator run, in ms (default 0):
   * a run can start just before a DeepSeek off-peak window and watch it open.
   */
  readonly clockOffsetMs?: number;
  /** Further settings for every function, by environment variable (e.g. the lane policy). */
  readonly environment?: Readonly<Record<string, string>>;
  /** Most provider attempts per request. Default: the deployment's. */
  readonly maxAttempts?: number;
  /** Per-function timeouts, memory, concurrency and queue visibility (tests make them short). */
  readonly functions?: Partial<Record<LocalFunctionName, LocalFunctionOptions>>;
  /**
   * Where the handlers run. `worker` (the default without `wrapRuntime`): each execution
   * environment in a worker thread of its own, with the function's memory as its heap limit,
   * killed at its timeout, reused warm. `inline`: in this process, cut off at the timeout by a
   * race only (required with `wrapRuntime`, whose ports cannot cross a thread boundary).
   */
  readonly isolation?: Isolation;
  /**
   * Replaces the runtime a function is built with (e.g. ports that crash between I/O calls,
   * a faster clock). Each function's runtime is still built from the environment first.
   * Needs `inline` isolation.
   */
  readonly wrapRuntime?: (
    functionName: LocalFunctionName,
    runtime: Runtime,
  ) => Runtime | Promise<Runtime>;
  /**
   * Records every AWS authorization each function needs (its commands, and its event source
   * mapping's polling, which Lambda does with the function's role) and writes them to this
   * file when the stack stops, for the grant check (`test/support/grants/`). Only one stack
   * per process should record at a time.
   */
  readonly recordAwsCalls?: { readonly file: string; readonly run: string };
  /**
   * Serve the webhook receiver on a loopback function URL and have the simulated OpenAI and
   * Gemini announce ended batches to it, as registered webhooks do (default true). Off, their
   * batches are seen by the poller alone.
   */
  readonly pushWebhooks?: boolean;
  /**
   * The deployment's provider profiles, as CDK context `providerProfiles` writes them:
   * changes to built-in ones and profiles of its own, each of which the simulator serves at
   * `/profiles/<id>/v1` (or its real provider, when its key variable is set) and the stack
   * enables. Default: the built-in profiles (`batchlane dev` passes
   * `BATCHLANE_PROVIDER_PROFILES` from its environment).
   */
  readonly providerProfiles?: readonly unknown[];
}

interface LocalStack {
  readonly env: Record<string, string>;
  readonly intakeQueueUrl: string;
  readonly intakeDlqUrl: string;
  readonly completionQueueUrl: string;
  readonly completionDlqUrl: string;
  readonly realtimeQueueUrl: string;
  readonly realtimeDlqUrl: string;
  readonly resultsQueueUrl: string;
  readonly eventsQueueUrl: string;
  readonly artifactsBucket: string;
  readonly resultsBucket: string;
  readonly tableName: string;
  readonly eventBusName: string;
  readonly resultsEventBusName: string;
  /** The Standard Webhooks secret (`whsec_…`) the functions sign loopback webhooks with. */
  readonly webhookSecret: string;
  /**
   * The webhook receiver's function URL (`http://127.0.0.1:<port>/`; providers post to
   * `<url><provider>`), and the secret each simulated provider signs with; null when off.
   */
  readonly receiver: {
    readonly url: string;
    readonly secrets: Readonly<Record<'openai' | 'gemini', string>>;
  } | null;
  readonly simulator: RunningSimulator | null;
  /**
   * Each provider's base URL; a provider profile's under its id (`groq`, `azure-openai`, and
   * the deployment's own, `acme`).
   */
  readonly providers: Readonly<Record<string, string>> & {
    readonly anthropic: string;
    readonly openai: string;
    /** What both Bedrock clients take as `endpoint`. */
    readonly bedrock: string;
    readonly gemini: string;
    /** What `@mistralai/mistralai`'s `serverURL` takes. */
    readonly mistral: string;
    readonly deepseek: string;
  };
  readonly emulators: Awaited<ReturnType<typeof startAwsEmulators>>;
  /** Runs the poller once now (tests use it instead of waiting for the schedule). */
  pollNow(): Promise<void>;
  /**
   * What each function's invocations measured so far: count, longest duration, largest
   * payloads, peak heap (worker isolation), failures by kind, events cut to fit 6 MB.
   */
  functionStats(): Readonly<Record<LocalFunctionName, FunctionStats>>;
  /** The distinct AWS authorizations the functions needed so far (with `recordAwsCalls`). */
  awsCalls(): readonly RecordedAwsCall[];
  stop(): Promise<void>;
}

/**
 * The webhook receiver's handler. Providers sign webhooks on the wall clock, and the receiver
 * refuses a timestamp outside its tolerance; so under a clock offset (a run set to another hour
 * of the day) the receiver runs on the wall clock, as the real one does against real providers.
 */
const receiverHandlerOf = async (env: Record<string, string>) => {
  const { handler, makeReceiverHandler } = await import('../../functions/receiver.js');
  if ((env[ENV.clockOffsetMs] ?? '0') === '0') return handler;
  const { createReceiverRuntime } = await import(
    '../../shared/composition/createReceiverRuntime.js'
  );
  return makeReceiverHandler(await createReceiverRuntime({ ...env, [ENV.clockOffsetMs]: '0' }));
};

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
 * A function's environment in its worker: what inline handlers see (this process's
 * environment, so a caller can set extra `BATCHLANE_*` variables before starting the stack,
 * with the stack's configuration on top), plus the variables Lambda's runtime sets.
 */
const functionEnvironment = (
  configured: Record<string, string>,
  functionName: string,
  memoryMb: number,
): Record<string, string> => {
  const inherited: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined) inherited[name] = value;
  }
  return {
    ...inherited,
    ...configured,
    AWS_LAMBDA_FUNCTION_NAME: functionName,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMb),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
  };
};

/**
 * batchlane on one machine: AWS-API emulators on loopback (fauxqs for SQS and S3, DynamoDB
 * Local, a PutEvents endpoint), the provider simulator (or the real providers when their API
 * keys are set), and the very handlers the stack deploys, driven the way AWS drives them.
 */
/**
 * Each provider profile's key, and its base URL when it goes to the simulator (`together` →
 * `TOGETHER_API_KEY` and `BATCHLANE_TOGETHER_BASE_URL`).
 */
const profileEnvironment = (
  profiles: readonly ProviderProfile[],
  simulator: RunningSimulator | null,
  real: ReadonlySet<string>,
): Record<string, string> =>
  Object.fromEntries(
    profiles.flatMap(({ id, key }) => {
      const keyVar = key.envVar;
      if (real.has(id)) return [[keyVar, process.env[keyVar] ?? '']];
      const baseUrl = simulator?.profileBaseUrls[id];
      return [
        [keyVar, 'sim-key'],
        ...(baseUrl === undefined ? [] : [[profileEnvNames(id).baseUrl, baseUrl]]),
      ];
    }),
  );

/** Where each provider profile is reached: the simulator's prefix, or the provider's host. */
const profileBaseUrls = (
  profiles: readonly ProviderProfile[],
  simulator: RunningSimulator | null,
  real: ReadonlySet<string>,
): Record<string, string> =>
  Object.fromEntries(
    profiles.map(({ id, baseUrl }) => [
      id,
      real.has(id) ? new URL(baseUrl).host : (simulator?.profileBaseUrls[id] ?? ''),
    ]),
  );

/** The deployment's profiles, checked as the functions will (an error names entry and field). */
const localProfiles = (
  entries: readonly unknown[],
): { readonly entries: readonly unknown[]; readonly profiles: readonly ProviderProfile[] } => {
  const resolved = resolveProfiles(entries);
  if (!resolved.ok) {
    throw new Error(`providerProfiles: ${resolved.issues.join('; ')}`);
  }
  return { entries, profiles: Object.values(resolved.profiles) };
};

const startLocalStack = async (options: LocalStackOptions = {}): Promise<LocalStack> => {
  const isolation = options.isolation ?? (options.wrapRuntime === undefined ? 'worker' : 'inline');
  if (isolation === 'worker' && options.wrapRuntime !== undefined) {
    throw new Error(
      "wrapRuntime needs isolation 'inline': a wrapped runtime cannot cross a thread boundary",
    );
  }
  const log = options.log ?? (() => undefined);
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  const visibility = (name: LocalFunctionName): string =>
    String(
      options.functions?.[name]?.visibilityTimeoutSeconds ?? options.visibilityTimeoutSeconds ?? 30,
    );
  const maxReceiveCount = String(options.maxReceiveCount ?? 5);

  const emulators = await startAwsEmulators();
  const aws = createAwsClients(emulators.env);
  const webhookSecret = `whsec_${randomBytes(32).toString('base64')}`;
  // The endpoint secrets the providers issue on registration: one per provider.
  const pushSecrets = {
    openai: `whsec_${randomBytes(32).toString('base64')}`,
    gemini: `whsec_${randomBytes(32).toString('base64')}`,
  };
  const recorder = options.recordAwsCalls === undefined ? null : new AwsCallRecorder();
  const stopObserving = recorder?.observeThisProcess() ?? (() => undefined);
  // Lambda's SQS pollers act with the function's role: each mapping polls with a client of
  // its function, so its calls are checked against that role too.
  const pollerClient = (name: LocalFunctionName) =>
    recorder === null ? aws.sqs : createAwsClients(emulators.env, { functionName: name }).sqs;

  const intakeDlq = await createQueue(aws.sqs, LOCAL_RESOURCES.intakeDlq, {});
  const intake = await createQueue(aws.sqs, LOCAL_RESOURCES.intakeQueue, {
    VisibilityTimeout: visibility('collector'),
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: intakeDlq.arn, maxReceiveCount }),
  });
  const completionDlq = await createQueue(aws.sqs, LOCAL_RESOURCES.completionDlq, {});
  const completion = await createQueue(aws.sqs, LOCAL_RESOURCES.completionQueue, {
    VisibilityTimeout: visibility('completion'),
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: completionDlq.arn, maxReceiveCount }),
  });
  const realtimeDlq = await createQueue(aws.sqs, LOCAL_RESOURCES.realtimeDlq, {});
  const realtime = await createQueue(aws.sqs, LOCAL_RESOURCES.realtimeQueue, {
    VisibilityTimeout: visibility('realtime'),
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: realtimeDlq.arn, maxReceiveCount }),
  });
  const results = await createQueue(aws.sqs, 'batchlane-demo-results', {});
  const events = await createQueue(aws.sqs, 'batchlane-events', {});
  emulators.eventBridge.forwardTo(aws.sqs, events.url);

  const artifactsBucket = LOCAL_RESOURCES.artifactsBucket;
  const resultsBucket = 'batchlane-demo-results';
  await aws.s3.send(new CreateBucketCommand({ Bucket: artifactsBucket }));
  await aws.s3.send(new CreateBucketCommand({ Bucket: resultsBucket }));
  const tableName = LOCAL_RESOURCES.table;
  await ensureStateTable(aws.dynamodb, tableName);

  const useReal = options.realProvidersFromEnv ?? true;
  const realAnthropic = useReal && (process.env['ANTHROPIC_API_KEY'] ?? '') !== '';
  const realOpenai = useReal && (process.env['OPENAI_API_KEY'] ?? '') !== '';
  const deployment = localProfiles(options.providerProfiles ?? []);
  const ownProfiles = deployment.profiles.filter((profile) => !isBuiltInProfileId(profile.id));
  // A provider profile goes to the real provider when its key variable is set, as the others.
  const realProfiles = new Set(
    deployment.profiles
      .filter((profile) => useReal && (process.env[profile.key.envVar] ?? '') !== '')
      .map((profile) => profile.id),
  );
  // Bedrock's real service needs AWS credentials, its service role (BATCHLANE_BEDROCK_ROLE_ARN)
  // and a real bucket that role can read and write (BATCHLANE_BEDROCK_JOB_BUCKET: the service
  // cannot reach the S3 emulator); it is asked for explicitly, never picked up by accident.
  const realBedrock =
    useReal &&
    process.env['BATCHLANE_BEDROCK_REAL'] === '1' &&
    (process.env[ENV.bedrockRoleArn] ?? '') !== '' &&
    (process.env[ENV.bedrockJobBucket] ?? '') !== '';
  const realGemini = useReal && (process.env['GEMINI_API_KEY'] ?? '') !== '';
  const realMistral = useReal && (process.env['MISTRAL_API_KEY'] ?? '') !== '';
  const realDeepseek = useReal && (process.env['DEEPSEEK_API_KEY'] ?? '') !== '';
  // The simulator is left out only when no provider, built-in profiles included, needs it.
  const everyProviderReal =
    realAnthropic &&
    realOpenai &&
    realGemini &&
    realBedrock &&
    realMistral &&
    realDeepseek &&
    realProfiles.size === deployment.profiles.length;
  const simulator = everyProviderReal
    ? null
    : await startSimulator({
        port: 0,
        processingMs: options.processingMs ?? 1500,
        ...(options.clockOffsetMs === undefined
          ? {}
          : { startAt: Date.now() + options.clockOffsetMs }),
        ...options.simulator,
        // Bedrock jobs read and write the artifacts bucket on the S3 emulator and put their
        // state changes on the EventBridge stub's default bus, as the real service does.
        bedrock: {
          s3Endpoint: emulators.env.AWS_ENDPOINT_URL_S3,
          eventBridgeEndpoint: emulators.env.AWS_ENDPOINT_URL_EVENTBRIDGE,
          ...options.simulator?.bedrock,
        },
        // The deployment's own profiles, serving the models they price.
        profiles: [
          ...(options.simulator?.profiles ?? []),
          ...ownProfiles
            .filter((profile) => !realProfiles.has(profile.id))
            .map((profile) => ({
              id: profile.id,
              models: [...new Set(profile.prices.map((price) => price.model))],
            })),
        ],
      });
  // The stack's rule, as CDK deploys it: Bedrock job events on the default bus that say a job
  // has ended go to the completion queue.
  await aws.eventBridge.send(
    new PutRuleCommand({
      Name: 'batchlane-bedrock-job-ended',
      EventBusName: 'default',
      EventPattern: JSON.stringify({
        source: [BEDROCK_JOB_EVENT.source],
        'detail-type': [BEDROCK_JOB_EVENT.detailType],
        detail: { status: [...ENDED_JOB_STATUSES] },
      }),
    }),
  );
  await aws.eventBridge.send(
    new PutTargetsCommand({
      Rule: 'batchlane-bedrock-job-ended',
      EventBusName: 'default',
      Targets: [{ Id: 'completion', Arn: completion.arn }],
    }),
  );

  const fn = (name: LocalFunctionName): LocalFunctionOptions => options.functions?.[name] ?? {};
  const timeoutMs = (name: LocalFunctionName): number =>
    fn(name).timeoutMs ?? FUNCTION_SIZING[name].timeoutSeconds * 1000;
  const memoryMb = (name: LocalFunctionName): number =>
    fn(name).memoryMb ?? FUNCTION_SIZING[name].memoryMb;
  const env: Record<string, string> = {
    ...emulators.env,
    [ENV.tableName]: tableName,
    [ENV.bucketName]: artifactsBucket,
    [ENV.eventBusName]: LOCAL_RESOURCES.eventBus,
    [ENV.completionQueueUrl]: completion.url,
    [ENV.realtimeQueueUrl]: realtime.url,
    [ENV.intakeQueueUrl]: intake.url,
    // A failed completion comes back as soon as its queue would have brought it back anyway.
    [ENV.completionRetrySeconds]: visibility('completion'),
    [ENV.pollIntervalSeconds]: String(Math.max(1, Math.round(pollIntervalMs / 1000))),
    [ENV.batchMaxAgeSeconds]: String(options.batchMaxAgeSeconds ?? 2),
    // Runs own a batch for as long as the longest local function timeout, then others take over.
    [ENV.leaseSeconds]: String(
      options.leaseSeconds ??
        Math.ceil(
          Math.max(timeoutMs('collector'), timeoutMs('completion'), timeoutMs('poller')) / 1000,
        ) + 10,
    ),
    [ENV.allowPrivateWebhooks]: 'true',
    // Said explicitly: an unset allow-list allows nothing.
    [ENV.destinationAllowList]: '*',
    // Each run signs webhooks with a fresh secret of its own, for the loopback receivers.
    [ENV.webhookSecrets]: JSON.stringify({ '127.0.0.1': webhookSecret, localhost: webhookSecret }),
    [PUSH_ENV.secrets]: JSON.stringify(pushSecrets),
    // Ends the simulator pushes (webhooks to the receiver, Bedrock's events through the rule).
    [PUSH_ENV.pushedProviders]: [
      ...(options.pushWebhooks === false || simulator === null
        ? []
        : [...(realOpenai ? [] : ['openai']), ...(realGemini ? [] : ['gemini'])]),
      ...(realBedrock ? [] : ['bedrock']),
    ].join(','),
    // fauxqs records every message as sent by the local account, the functions' requeues
    // included: it is batchlane's own principal here, as the collector's role is in AWS.
    [ENV.selfPrincipals]: LOCAL_ACCOUNT_SENDER_ID,
    ...(options.maxRequestsPerBatch === undefined
      ? {}
      : { [ENV.maxRequestsPerBatch]: String(options.maxRequestsPerBatch) }),
    ...(options.maxAttempts === undefined
      ? {}
      : { [ENV.maxAttempts]: String(options.maxAttempts) }),
    [ENV.anthropicApiKey]: realAnthropic ? (process.env['ANTHROPIC_API_KEY'] ?? '') : 'sim-key',
    [ENV.openaiApiKey]: realOpenai ? (process.env['OPENAI_API_KEY'] ?? '') : 'sim-key',
    [ENV.geminiApiKey]: realGemini ? (process.env['GEMINI_API_KEY'] ?? '') : 'sim-key',
    [ENV.mistralApiKey]: realMistral ? (process.env['MISTRAL_API_KEY'] ?? '') : 'sim-key',
    // The local stack talks to every provider batchlane has (deployments opt into Gemini), and
    // to the deployment's own profiles.
    [ENV.enabledProviders]: [...PROVIDERS, ...ownProfiles.map((profile) => profile.id)].join(','),
    // Set even when empty: the environment outlives a stack, and the next must not inherit it.
    [ENV.providerProfiles]:
      deployment.entries.length === 0 ? '' : JSON.stringify(deployment.entries),
    ...(realAnthropic || simulator === null
      ? {}
      : { [ENV.anthropicBaseUrl]: simulator.anthropicBaseUrl }),
    ...(realOpenai || simulator === null ? {} : { [ENV.openaiBaseUrl]: simulator.openaiBaseUrl }),
    ...(realBedrock || simulator === null
      ? {}
      : {
          [ENV.bedrockEndpoint]: simulator.bedrockEndpoint,
          [ENV.bedrockRoleArn]: 'arn:aws:iam::000000000000:role/batchlane-bedrock-batch',
          // The simulated jobs read the artifacts bucket on the S3 emulator, whatever the
          // shell says about a real one.
          [ENV.bedrockJobBucket]: '',
          [ENV.bedrockJobS3Endpoint]: '',
        }),
    ...(realGemini || simulator === null ? {} : { [ENV.geminiBaseUrl]: simulator.geminiBaseUrl }),
    ...(realMistral || simulator === null
      ? {}
      : { [ENV.mistralBaseUrl]: simulator.mistralBaseUrl }),
    [ENV.deepseekApiKey]: realDeepseek ? (process.env['DEEPSEEK_API_KEY'] ?? '') : 'sim-key',
    ...(realDeepseek || simulator === null
      ? {}
      : { [ENV.deepseekBaseUrl]: simulator.deepseekBaseUrl }),
    ...(options.clockOffsetMs === undefined
      ? {}
      : { [ENV.clockOffsetMs]: String(options.clockOffsetMs) }),
    ...profileEnvironment(deployment.profiles, simulator, realProfiles),
    POWERTOOLS_LOG_LEVEL: process.env['POWERTOOLS_LOG_LEVEL'] ?? 'ERROR',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
    ...options.environment,
  };
  // The handlers read their configuration from the environment at import, as in Lambda.
  Object.assign(process.env, env);

  // Inline, the handlers the modules built at import run in this process (or, with a wrapper,
  // handlers built around the wrapped runtime). In workers, each execution environment imports
  // its module itself, with the function's environment, as Lambda's init does.
  const { wrapRuntime } = options;
  const runtimeFor = async (name: LocalFunctionName): Promise<Runtime> => {
    if (wrapRuntime === undefined) throw new Error('no runtime wrapper');
    return wrapRuntime(name, await createRuntime(process.env, name));
  };
  const inlineHandlers = async () => {
    const collectorModule = await import('../../functions/collector.js');
    const completionModule = await import('../../functions/completion.js');
    const pollerModule = await import('../../functions/poller.js');
    const realtimeModule = await import('../../functions/realtime.js');
    return {
      realtime:
        wrapRuntime === undefined
          ? realtimeModule.handler
          : realtimeModule.makeRealtimeHandler(await runtimeFor('realtime')),
      collector:
        wrapRuntime === undefined
          ? collectorModule.handler
          : collectorModule.makeCollectorHandler(await runtimeFor('collector')),
      completion:
        wrapRuntime === undefined
          ? completionModule.handler
          : completionModule.makeCompletionHandler(await runtimeFor('completion')),
      poller:
        wrapRuntime === undefined
          ? pollerModule.handler
          : pollerModule.makePollerHandler(await runtimeFor('poller')),
    };
  };
  const inline = isolation === 'inline' ? await inlineHandlers() : null;
  const { onFunctionOutput } = options;
  const inWorker = (name: LocalFunctionName) => ({
    isolation: 'worker' as const,
    worker: {
      module: new URL(`../../functions/${name}.ts`, import.meta.url),
      env: functionEnvironment(env, `batchlane-${name}`, memoryMb(name)),
      ...(recorder === null
        ? {}
        : {
            onAwsCalls: (functionName: string, calls: readonly IamRequest[]) =>
              recorder.record(functionName, calls),
          }),
      ...(onFunctionOutput === undefined
        ? {}
        : { onOutput: (line: string) => onFunctionOutput(name, line) }),
    },
  });

  const report =
    (name: string) =>
    ({ records, failed, error }: { records: number; failed: number; error: unknown }): void => {
      if (error !== null)
        log(`${name}: invocation failed (${String(error)}); ${records} records will be retried`);
      else if (failed > 0) log(`${name}: ${failed} of ${records} records handed back for retry`);
    };
  const collectorMapping = new SqsEventSourceMapping({
    client: pollerClient('collector'),
    queueUrl: intake.url,
    queueArn: intake.arn,
    functionName: 'batchlane-collector',
    ...(inline === null
      ? inWorker('collector')
      : { isolation: 'inline' as const, handler: inline.collector }),
    batchSize: options.collectorBatchSize ?? 100,
    batchingWindowMs: options.collectorBatchingWindowMs ?? 1000,
    timeoutMs: timeoutMs('collector'),
    memoryMb: memoryMb('collector'),
    maxConcurrency: fn('collector').maxConcurrency ?? 1,
    onInvoke: report('collector'),
  });
  const completionMapping = new SqsEventSourceMapping({
    client: pollerClient('completion'),
    queueUrl: completion.url,
    queueArn: completion.arn,
    functionName: 'batchlane-completion',
    ...(inline === null
      ? inWorker('completion')
      : { isolation: 'inline' as const, handler: inline.completion }),
    batchSize: 1,
    batchingWindowMs: 0,
    timeoutMs: timeoutMs('completion'),
    memoryMb: memoryMb('completion'),
    maxConcurrency: fn('completion').maxConcurrency ?? 1,
    onInvoke: report('completion'),
  });
  const realtimeMapping = new SqsEventSourceMapping({
    client: pollerClient('realtime'),
    queueUrl: realtime.url,
    queueArn: realtime.arn,
    functionName: 'batchlane-realtime',
    ...(inline === null
      ? inWorker('realtime')
      : { isolation: 'inline' as const, handler: inline.realtime }),
    batchSize: 1,
    batchingWindowMs: 0,
    timeoutMs: timeoutMs('realtime'),
    memoryMb: memoryMb('realtime'),
    maxConcurrency: fn('realtime').maxConcurrency ?? 4,
    onInvoke: report('realtime'),
  });
  const pollerSchedule = new ScheduleRunner({
    functionName: 'batchlane-poller',
    ...(inline === null
      ? inWorker('poller')
      : { isolation: 'inline' as const, handler: inline.poller }),
    intervalMs: pollIntervalMs,
    timeoutMs: timeoutMs('poller'),
    memoryMb: memoryMb('poller'),
    onRun: (error) => {
      if (error !== null) log(`poller: ${String(error)}`);
    },
  });
  collectorMapping.start();
  completionMapping.start();
  realtimeMapping.start();
  pollerSchedule.start();

  // The receiver answers HTTP, not a queue: it runs in this process behind a loopback URL.
  const receiverServer =
    options.pushWebhooks === false
      ? null
      : new FunctionUrlServer({
          functionName: 'batchlane-receiver',
          handler: await receiverHandlerOf(env),
          timeoutMs: RECEIVER_TIMEOUT_MS,
          memoryMb: RECEIVER_MEMORY_MB,
        });
  const receiverUrl = receiverServer === null ? null : await receiverServer.listen();
  if (receiverUrl !== null && simulator !== null) {
    simulator.setWebhooks({
      ...(realOpenai
        ? {}
        : { openai: { url: `${receiverUrl}openai`, secret: pushSecrets.openai } }),
      ...(realGemini
        ? {}
        : { gemini: { url: `${receiverUrl}gemini`, secret: pushSecrets.gemini } }),
    });
  }

  return {
    env,
    intakeQueueUrl: intake.url,
    intakeDlqUrl: intakeDlq.url,
    completionQueueUrl: completion.url,
    completionDlqUrl: completionDlq.url,
    realtimeQueueUrl: realtime.url,
    realtimeDlqUrl: realtimeDlq.url,
    resultsQueueUrl: results.url,
    eventsQueueUrl: events.url,
    artifactsBucket,
    resultsBucket,
    tableName,
    eventBusName: 'batchlane',
    resultsEventBusName: 'batchlane-demo-results',
    webhookSecret,
    receiver: receiverUrl === null ? null : { url: receiverUrl, secrets: pushSecrets },
    simulator,
    providers: {
      anthropic: realAnthropic ? 'api.anthropic.com' : (simulator?.anthropicBaseUrl ?? ''),
      openai: realOpenai ? 'api.openai.com' : (simulator?.openaiBaseUrl ?? ''),
      bedrock: realBedrock ? 'bedrock.amazonaws.com' : (simulator?.bedrockEndpoint ?? ''),
      gemini: realGemini ? 'generativelanguage.googleapis.com' : (simulator?.geminiBaseUrl ?? ''),
      mistral: realMistral ? 'api.mistral.ai' : (simulator?.mistralBaseUrl ?? ''),
      deepseek: realDeepseek ? 'api.deepseek.com' : (simulator?.deepseekBaseUrl ?? ''),
      ...profileBaseUrls(deployment.profiles, simulator, realProfiles),
    },
    emulators,
    pollNow: () => pollerSchedule.tick(),
    functionStats: () => ({
      collector: collectorMapping.stats(),
      completion: completionMapping.stats(),
      realtime: realtimeMapping.stats(),
      poller: pollerSchedule.stats(),
    }),
    awsCalls: () => recorder?.calls() ?? [],
    stop: async () => {
      await pollerSchedule.stop();
      await collectorMapping.stop();
      await completionMapping.stop();
      await realtimeMapping.stop();
      await simulator?.stop();
      await receiverServer?.close();
      await emulators.stop();
      stopObserving();
      if (recorder !== null && options.recordAwsCalls !== undefined) {
        recorder.write(options.recordAwsCalls.file, options.recordAwsCalls.run);
      }
    },
  };
};

export {
  LOCAL_RESOURCES,
  type LocalFunctionName,
  type LocalFunctionOptions,
  type LocalStack,
  type LocalStackOptions,
  startLocalStack,
};
