import { join } from 'node:path';
import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ENV } from '../shared/config/BatchlaneConfig.js';
import { FUNCTION_SIZING } from '../shared/config/functionSizing.js';
import { PUSH_ENV } from '../shared/config/pushConfig.js';
import { STUCK_ENV, type StuckPolicyMap } from '../shared/config/stuckConfig.js';
import type { Destination } from '../shared/contract/destination.js';
import type { ProfileOverride, ProviderProfileInput } from '../shared/contract/providerProfile.js';
import type { ProviderName } from '../shared/contract/providers.js';
import type { Quotas } from '../shared/domain/admitRequests.js';
import type { PriceTableInput } from '../shared/domain/pricing/PriceTable.js';
import { type ArtifactLifetimeSettings, artifactRetentionDaysFor } from './artifactLifetime.js';
import { ArtifactsBucket } from './constructs/ArtifactsBucket.js';
import type { LogLevel } from './constructs/BatchFunction.js';
import { BedrockBatchAccess } from './constructs/BedrockBatchAccess.js';
import { Collector } from './constructs/Collector.js';
import { Completion } from './constructs/Completion.js';
import { Dashboard } from './constructs/Dashboard.js';
import { EventBus } from './constructs/EventBus.js';
import { IntakeQueue } from './constructs/IntakeQueue.js';
import { OperationalAlarms } from './constructs/OperationalAlarms.js';
import { Poller } from './constructs/Poller.js';
import { ProviderSecrets } from './constructs/ProviderSecrets.js';
import { longestMessageLifeOf } from './constructs/QueueWithDeadLetter.js';
import { RealtimeWorker } from './constructs/RealtimeWorker.js';
import type { SharedResources } from './constructs/SharedResources.js';
import { StateTable } from './constructs/StateTable.js';
import { WebhookReceiver } from './constructs/WebhookReceiver.js';

interface BatchlaneStackProps extends StackProps {
  /**
   * Minutes between poller runs (whole minutes, at least 1).
   * @default 1
   */
  readonly pollRateMinutes?: number;
  /**
   * Most intake messages per collector invocation (1–10,000).
   * @default 100
   */
  readonly collectorBatchSize?: number;
  /**
   * Seconds the collector's event source gathers messages before invoking (0–300).
   * @default 20
   */
  readonly collectorBatchingWindowSeconds?: number;
  /**
   * Provider attempts per request (`BATCHLANE_MAX_ATTEMPTS`): expired, canceled and
   * retryable errored requests go into a later batch until this many were made.
   * @default 3
   */
  readonly maxAttempts?: number;
  /**
   * Receives of an intake message before it moves to the intake dead-letter queue (SQS
   * `maxReceiveCount`; unrelated to provider attempts).
   * @default 5
   */
  readonly intakeMaxReceiveCount?: number;
  /**
   * Whether a per-request event is published for each delivered result
   * (`BATCHLANE_PUBLISH_REQUEST_EVENTS`); each costs one EventBridge event.
   * @default false
   */
  readonly publishRequestEvents?: boolean;
  /**
   * Powertools Logger level of every function (`POWERTOOLS_LOG_LEVEL`).
   * @default 'INFO'
   */
  readonly logLevel?: LogLevel;
  /**
   * Deliveries of an ended batch to the completion function before it moves to the
   * completion dead-letter queue.
   * @default 10
   */
  readonly completionMaxAttempts?: number;
  /**
   * Destination of requests that name none (`BATCHLANE_DEFAULT_DESTINATION`); an SQS, S3 or
   * EventBridge default is added to the destination allow-list.
   * @default - none: requests must name a destination
   */
  readonly defaultDestination?: Destination;
  /**
   * Providers this deployment talks to (`BATCHLANE_PROVIDERS`).
   * @default ['anthropic', 'openai']
   */
  readonly enabledProviders?: readonly ProviderName[];
  /**
   * Models the deployment runs on Amazon Bedrock (context key `bedrockModels`): base model
   * ids, system inference profile ids or ARNs. Required when `enabledProviders` names
   * `bedrock`; every Bedrock grant is scoped to them.
   * @default []
   */
  readonly bedrockModels?: readonly string[];
  /**
   * Existing secret with the Anthropic API key.
   * @default - a secret is created; put the key into it after deploying
   */
  readonly anthropicSecretArn?: string;
  /**
   * Existing secret with the OpenAI API key.
   * @default - a secret is created; put the key into it after deploying
   */
  readonly openaiSecretArn?: string;
  /**
   * Existing secret with the Gemini API key (when `gemini` is in `enabledProviders`).
   * @default - a secret is created; put the key into it after deploying
   */
  readonly geminiSecretArn?: string;
  /**
   * Existing secret with the Mistral API key (when `mistral` is in `enabledProviders`).
   * @default - a secret is created; put the key into it after deploying
   */
  readonly mistralSecretArn?: string;
  /**
   * Existing secret with the DeepSeek API key (when `deepseek` is in `enabledProviders`).
   * @default - a secret is created; put the key into it after deploying
   */
  readonly deepseekSecretArn?: string;
  /**
   * Days the working files (batch parts and member sidecars, input files, archived results,
   * realtime jobs, claim checks) are kept in the artifacts bucket: at least as long as a batch
   * can still need them, worked out from the other settings (providers' windows, holds,
   * completion's retries), or synthesis fails naming the minimum.
   * @default 30, or that minimum when it is longer
   */
  readonly artifactRetentionDays?: number;
  /**
   * Days the idempotency ledger remembers a request: at least as long as a message carrying
   * it can still arrive (the intake dead-letter queue's 14 days, one redrive, the intake
   * queue's 4 days), or synthesis fails.
   * @default 21
   */
  readonly idempotencyTtlDays?: number;
  /**
   * Days parked results (for `batchlane replay`) and oversize-result objects (named by result
   * pointers) are kept, under lifecycle rules of their own (at least 14).
   * @default 90
   */
  readonly resultRetentionDays?: number;
  /**
   * Caller SQS queues (ARNs) results may be delivered to.
   * @default []
   */
  readonly destinationQueueArns?: readonly string[];
  /**
   * Caller S3 buckets (names) results may be written to.
   * @default []
   */
  readonly destinationBucketNames?: readonly string[];
  /**
   * Caller EventBridge buses (ARNs) results may be put on.
   * @default []
   */
  readonly destinationEventBusArns?: readonly string[];
  /**
   * The deployment's own prices (`BATCHLANE_PRICE_TABLE`), in the shipped table's schema: an
   * entry with the same provider, model and `effective_from` replaces the shipped one, any
   * other is added. Serialized into every function's environment, whose 4 KB limit it must fit.
   * @default - the shipped price table only
   */
  readonly priceTableOverride?: PriceTableInput;
  /**
   * The deployment's provider profiles (`BATCHLANE_PROVIDER_PROFILES`): changes to built-in
   * ones (Azure's resource endpoint, deployments and `api-version`, Groq's window, a profile's
   * key secret name), and whole profiles with ids of their own, with their models' prices
   * (enable them in `enabledProviders`). Checked at synth.
   * @default - the built-in profiles
   */
  readonly providerProfiles?: readonly (ProfileOverride | ProviderProfileInput)[];
  /**
   * The request `metadata` key whose value is the request's cost tag (`BATCHLANE_COST_TAG_KEY`).
   * @default 'tag'
   */
  readonly costTagKey?: string;
  /**
   * `auto` lane: seconds a provider may take to end a batch (`BATCHLANE_AUTO_BATCH_WINDOW_SECONDS`).
   * @default 86400
   */
  readonly autoBatchWindowSeconds?: number;
  /**
   * `auto` lane: seconds kept on top of the batch window before a deadline is trusted to a
   * batch (`BATCHLANE_AUTO_MARGIN_SECONDS`).
   * @default 3600
   */
  readonly autoMarginSeconds?: number;
  /**
   * `auto` lane: seconds before its deadline a member of a still-running batch is escalated to
   * the realtime lane (`BATCHLANE_ESCALATE_BEFORE_DEADLINE_SECONDS`).
   * @default 1800
   */
  readonly escalateBeforeDeadlineSeconds?: number;
  /**
   * Seconds a batch takes parts from collector invocations before it is sealed and submitted
   * (it also seals when full); 0 seals each invocation's batch at once
   * (`BATCHLANE_BATCH_MAX_AGE_SECONDS`).
   * @default 60
   */
  readonly batchMaxAgeSeconds?: number;
  /**
   * Most requests and prompt tokens in flight per provider and model, `*` for any model
   * (`BATCHLANE_QUOTAS`); requests over a quota are held in the intake queue.
   * @default - no quotas
   */
  readonly quotas?: Quotas;
  /**
   * Seconds a request held by a quota waits before it is read again, at most 900
   * (`BATCHLANE_QUOTA_RETRY_SECONDS`).
   * @default 60
   */
  readonly quotaRetrySeconds?: number;
  /**
   * Daily spending cap in USD (`BATCHLANE_BUDGET_DAILY_USD`); requests over it are held.
   * @default - no daily cap
   */
  readonly budgetDailyUsd?: number;
  /**
   * Monthly spending cap in USD (`BATCHLANE_BUDGET_MONTHLY_USD`); requests over it are held.
   * @default - no monthly cap
   */
  readonly budgetMonthlyUsd?: number;
  /**
   * The Secrets Manager secret (ARN) that signs webhook deliveries to each receiving host
   * (`{"hooks.example.com": "arn:aws:secretsmanager:…"}`), read by the functions that deliver
   * (collector, completion, realtime). A webhook whose host has no secret is not delivered.
   * @default - none: webhook destinations are refused
   */
  readonly webhookSecretArns?: Readonly<Record<string, string>>;
  /**
   * USD per million tokens (input and output alike) a model missing from the price table is
   * assumed to cost while a budget is set (`BATCHLANE_UNPRICED_CEILING_USD_PER_MTOK`).
   * @default - requests for unpriced models are refused (`unpriced_model`) while a budget is set
   */
  readonly unpricedCeilingUsdPerMTok?: number;
  /**
   * Most collector invocations at once (the intake event source's `maxConcurrency`, 2–1000).
   * @default 10
   */
  readonly collectorMaxConcurrency?: number;
  /**
   * Principals in other accounts that may send to the intake queue (account ids, or IAM role
   * and user ARNs): added to the queue's resource policy.
   * @default - only principals of this account that are granted it
   */
  readonly intakeProducerPrincipals?: readonly string[];
  /**
   * Producer namespaces by principal pattern (`BATCHLANE_PRODUCER_NAMESPACES`): a SenderId or
   * its principal id (the IAM unique id, `AROA…`/`AIDA…`, or an account id), exact or ending
   * in `*`, to a namespace (letters, digits, `_.-`). Producers mapped to one namespace share
   * their `custom_id`s; others are told apart by principal.
   * @default - every principal is its own producer
   */
  readonly producerNamespaces?: Readonly<Record<string, string>>;
  /**
   * Receive OpenAI's and Gemini's batch webhooks on a public function URL (when either is
   * enabled), so their ended batches reach completion at once instead of at the next poll.
   * @default true
   */
  readonly webhookReceiver?: boolean;
  /**
   * What the poller does with a batch stuck at its provider (no progress for longer than its
   * provider and model's p99 turnaround or `stuckFloorMinutes`, or passing a member's
   * deadline), per provider, with `default` for the rest: `leave` (the `Batch Stuck` event and
   * the alarm only), `cancel_resubmit` or `escalate`. Checked at synth.
   * @default - `leave` for every provider
   */
  readonly stuckBatchPolicy?: StuckPolicyMap;
  /**
   * Minutes without progress after which a batch counts as stuck while its provider and model
   * have fewer than 20 recorded batches.
   * @default 360
   */
  readonly stuckFloorMinutes?: number;
  /**
   * ARN of an existing secret holding the OpenAI webhook endpoint's signing secret.
   * @default - a secret is created, to be filled when the endpoint is registered
   */
  readonly openaiWebhookSecretArn?: string;
  /**
   * ARN of an existing secret holding the Gemini webhook endpoint's signing secret.
   * @default - a secret is created, to be filled when the endpoint is registered
   */
  readonly geminiWebhookSecretArn?: string;
  /**
   * Directory holding `collector.ts`, `poller.ts`, `completion.ts` and `realtime.ts`.
   * @default - `functions/` of this repository
   */
  readonly handlersDir?: string;
}

/** Three weeks: past the 19 days a request message can live with the default queues. */
const DEFAULT_IDEMPOTENCY_TTL_DAYS = 21;

/**
 * Fails synthesis when the ledger would forget a `custom_id` while a message carrying it may
 * still arrive (redriven from the intake dead-letter queue): that message would be taken for
 * a new request, submitted and delivered a second time.
 */
const checkLedgerOutlivesMessages = (ttl: Duration, longestMessageLife: Duration): void => {
  if (ttl.toSeconds() >= longestMessageLife.toSeconds()) return;
  const days = Math.ceil(longestMessageLife.toSeconds() / 86_400);
  throw new Error(
    `idempotencyTtlDays is ${ttl.toDays()}, but an intake message can still arrive ${days} days after it was sent (dead-letter retention, one redrive, queue retention): set idempotencyTtlDays to at least ${days}`,
  );
};

/** Working files are kept a month unless the settings need longer (see `artifactLifetime.ts`). */
const DEFAULT_ARTIFACT_RETENTION_DAYS = 30;

const hoursOf = (duration: Duration): number => duration.toSeconds() / 3600;

/** What the artifacts' lifetimes depend on, from the props and the queues' fixed shapes. */
const artifactLifetimeSettingsOf = (
  props: BatchlaneStackProps,
  providerSecrets: ProviderSecrets,
): ArtifactLifetimeSettings => ({
  enabledProviders: providerSecrets.enabledProviders,
  profiles: providerSecrets.profiles,
  batchMaxAgeSeconds: props.batchMaxAgeSeconds ?? 60,
  quotasSet: props.quotas !== undefined && Object.keys(props.quotas).length > 0,
  budgetDailySet: props.budgetDailyUsd !== undefined,
  budgetMonthlySet: props.budgetMonthlyUsd !== undefined,
  intakeMessageHours: hoursOf(longestMessageLifeOf(Collector.DEFAULT_TIMEOUT)),
  completionMessageHours: hoursOf(longestMessageLifeOf(Completion.DEFAULT_TIMEOUT)),
  realtimeMessageHours: hoursOf(
    longestMessageLifeOf(Duration.seconds(FUNCTION_SIZING.realtime.timeoutSeconds)),
  ),
});

/** The whole batchlane deployment. Composition only: every resource lives in a construct. */
class BatchlaneStack extends Stack {
  public readonly intakeQueue: IntakeQueue;
  public readonly stateTable: StateTable;
  public readonly artifacts: ArtifactsBucket;
  public readonly eventBus: EventBus;
  public readonly providerSecrets: ProviderSecrets;
  public readonly collector: Collector;
  public readonly poller: Poller;
  public readonly completion: Completion;
  public readonly realtime: RealtimeWorker;
  public readonly alarms: OperationalAlarms;
  public readonly dashboard: Dashboard;
  /** The public receiver of provider webhooks; undefined when no webhook provider is enabled. */
  public readonly webhookReceiver: WebhookReceiver | undefined;
  /** Bedrock's service role, grants and job-event rule; undefined unless Bedrock is enabled. */
  public readonly bedrock: BedrockBatchAccess | undefined;

  public constructor(scope: Construct, id: string, props: BatchlaneStackProps = {}) {
    super(scope, id, props);
    // Access-log delivery through a bucket policy rather than the legacy LogDeliveryWrite ACL,
    // which object-ownership "bucket owner enforced" forbids. Must be set before any child.
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);

    const maxAttempts = props.maxAttempts ?? 3;
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 100) {
      throw new Error(`maxAttempts must be an integer from 1 to 100, got ${maxAttempts}`);
    }
    const seconds = (value: number | undefined): Duration | undefined =>
      value === undefined ? undefined : Duration.seconds(value);
    const entry = (name: string): string | undefined =>
      props.handlersDir === undefined ? undefined : join(props.handlersDir, `${name}.ts`);

    this.stateTable = new StateTable(this, 'StateTable');
    this.providerSecrets = new ProviderSecrets(this, 'ProviderSecrets', {
      enabledProviders: props.enabledProviders,
      anthropicSecretArn: props.anthropicSecretArn,
      openaiSecretArn: props.openaiSecretArn,
      geminiSecretArn: props.geminiSecretArn,
      mistralSecretArn: props.mistralSecretArn,
      deepseekSecretArn: props.deepseekSecretArn,
      profileOverrides: props.providerProfiles,
    });
    this.artifacts = new ArtifactsBucket(this, 'ArtifactsBucket', {
      artifactRetentionDays: artifactRetentionDaysFor(
        props.artifactRetentionDays,
        artifactLifetimeSettingsOf(props, this.providerSecrets),
        DEFAULT_ARTIFACT_RETENTION_DAYS,
      ),
      resultRetentionDays: props.resultRetentionDays,
    });
    this.eventBus = new EventBus(this, 'EventBus');
    const idempotencyTtl = Duration.days(props.idempotencyTtlDays ?? DEFAULT_IDEMPOTENCY_TTL_DAYS);
    const resources: SharedResources = {
      stateTable: this.stateTable,
      bucket: this.artifacts.bucket,
      eventBus: this.eventBus.bus,
      providerSecrets: this.providerSecrets,
      settings: {
        idempotencyTtl,
        pollRate: Duration.minutes(props.pollRateMinutes ?? 1),
        defaultDestination: props.defaultDestination,
        maxAttempts,
        publishRequestEvents: props.publishRequestEvents ?? false,
        // A run may hold a batch for at most its function's timeout; the margin covers clock
        // skew and the last write after the timeout was reached.
        lease: Duration.seconds(
          Math.max(Collector.DEFAULT_TIMEOUT.toSeconds(), Completion.DEFAULT_TIMEOUT.toSeconds()) +
            60,
        ),
        priceTableOverride: props.priceTableOverride,
        costTagKey: props.costTagKey,
        autoBatchWindow: seconds(props.autoBatchWindowSeconds),
        autoMargin: seconds(props.autoMarginSeconds),
        escalateBeforeDeadline: seconds(props.escalateBeforeDeadlineSeconds),
        batchMaxAge: seconds(props.batchMaxAgeSeconds),
        quotas: props.quotas,
        quotaRetry: seconds(props.quotaRetrySeconds),
        budgetDailyUsd: props.budgetDailyUsd,
        budgetMonthlyUsd: props.budgetMonthlyUsd,
        unpricedCeilingUsdPerMTok: props.unpricedCeilingUsdPerMTok,
        producerNamespaces: props.producerNamespaces,
      },
    };
    const { logLevel } = props;

    this.completion = new Completion(this, 'Completion', {
      resources,
      maxAttempts: props.completionMaxAttempts,
      destinations: {
        queueArns: props.destinationQueueArns,
        bucketNames: props.destinationBucketNames,
        eventBusArns: props.destinationEventBusArns,
      },
      entry: entry('completion'),
      logLevel,
    });
    this.realtime = new RealtimeWorker(this, 'Realtime', {
      resources,
      completionQueue: this.completion.queue,
      allowList: this.completion.allowList,
      entry: entry('realtime'),
      logLevel,
    });
    this.poller = new Poller(this, 'Poller', {
      resources,
      completionQueue: this.completion.queue,
      entry: entry('poller'),
      logLevel,
    });
    const pushedByWebhook = this.providerSecrets.enabledProviders.some(
      (provider) => provider === 'openai' || provider === 'gemini',
    );
    this.webhookReceiver =
      (props.webhookReceiver ?? true) && pushedByWebhook
        ? new WebhookReceiver(this, 'WebhookReceiver', {
            resources,
            completionQueue: this.completion.queue,
            secretArns: {
              openai: props.openaiWebhookSecretArn,
              gemini: props.geminiWebhookSecretArn,
            },
            entry: entry('receiver'),
            logLevel,
          })
        : undefined;
    this.intakeQueue = new IntakeQueue(this, 'IntakeQueue', {
      collectorTimeout: Collector.DEFAULT_TIMEOUT,
      maxReceiveCount: props.intakeMaxReceiveCount,
      producerPrincipals: props.intakeProducerPrincipals,
    });
    checkLedgerOutlivesMessages(idempotencyTtl, this.intakeQueue.longestMessageLife);
    this.collector = new Collector(this, 'Collector', {
      resources,
      intakeQueue: this.intakeQueue.queue,
      completionQueue: this.completion.queue,
      allowList: this.completion.allowList,
      batchSize: props.collectorBatchSize,
      maxConcurrency: props.collectorMaxConcurrency,
      maxBatchingWindow:
        props.collectorBatchingWindowSeconds === undefined
          ? undefined
          : Duration.seconds(props.collectorBatchingWindowSeconds),
      entry: entry('collector'),
      logLevel,
    });

    if (this.providerSecrets.enabledProviders.includes('bedrock')) {
      this.bedrock = new BedrockBatchAccess(this, 'Bedrock', {
        bucket: this.artifacts.bucket,
        models: props.bedrockModels ?? [],
        jobFunctions: [this.completion.function, this.poller.function],
        invokeFunctions: [this.realtime.function],
        completionQueue: this.completion.queue,
      });
      // The collector reads the same configuration (it validates Bedrock requests).
      this.collector.function.function.addEnvironment(
        ENV.bedrockRoleArn,
        this.bedrock.serviceRole.roleArn,
      );
      this.webhookReceiver?.function.function.addEnvironment(
        ENV.bedrockRoleArn,
        this.bedrock.serviceRole.roleArn,
      );
    }

    // The poller is the safety net for providers that push their batch ends: it polls their
    // batches less often.
    const pushedProviders = [
      ...(this.webhookReceiver?.providers ?? []),
      ...(this.bedrock === undefined ? [] : ['bedrock']),
    ];
    if (pushedProviders.length > 0) {
      this.poller.function.function.addEnvironment(
        PUSH_ENV.pushedProviders,
        pushedProviders.join(','),
      );
    }

    // The poller watches running batches for being stuck, and applies the policy to them.
    if (props.stuckBatchPolicy !== undefined && Object.keys(props.stuckBatchPolicy).length > 0) {
      this.poller.function.function.addEnvironment(
        STUCK_ENV.policy,
        JSON.stringify(props.stuckBatchPolicy),
      );
    }
    if (props.stuckFloorMinutes !== undefined) {
      this.poller.function.function.addEnvironment(
        STUCK_ENV.floorMinutes,
        String(props.stuckFloorMinutes),
      );
    }

    // The collector sends short-deadline requests to the realtime lane; the poller escalates
    // late batch members to it; completion hands it the members of a batch that cannot reach
    // its provider's minimum in time; the realtime worker requeues a job it must try again.
    this.collector.function.bindRealtimeQueueSend(this.realtime.queue);
    this.collector.function.bindIntakeQueueSend(this.intakeQueue.queue);
    this.poller.function.bindRealtimeQueueSend(this.realtime.queue);
    this.completion.function.bindRealtimeQueueSend(this.realtime.queue);
    this.realtime.function.bindRealtimeQueueSend(this.realtime.queue);
    // Every function that delivers results may sign webhooks; the poller delivers none.
    for (const fn of [this.collector.function, this.completion.function, this.realtime.function]) {
      fn.bindWebhookSecrets(props.webhookSecretArns ?? {});
    }

    this.alarms = new OperationalAlarms(this, 'Alarms', {
      enabledProviders: this.providerSecrets.enabledProviders,
      completionLogGroup: this.completion.function.logGroup,
      collectorLogGroup: this.collector.function.logGroup,
    });

    this.dashboard = new Dashboard(this, 'Dashboard', {
      intakeQueue: this.intakeQueue,
      completion: this.completion,
      functions: [
        this.collector.function,
        this.poller.function,
        this.completion.function,
        this.realtime.function,
      ],
      operational: this.alarms,
    });

    new CfnOutput(this, 'IntakeQueueUrl', {
      description: 'Producers send one JSON request per message here',
      value: this.intakeQueue.queue.queueUrl,
    });
    new CfnOutput(this, 'IntakeQueueArn', {
      description: 'Grant producers sqs:SendMessage on this queue',
      value: this.intakeQueue.queue.queueArn,
    });
    new CfnOutput(this, 'ArtifactsBucketName', { value: this.artifacts.bucket.bucketName });
    new CfnOutput(this, 'StateTableName', { value: this.stateTable.table.tableName });
    new CfnOutput(this, 'EventBusName', {
      description: 'batchlane lifecycle events; add rules here',
      value: this.eventBus.bus.eventBusName,
    });
    new CfnOutput(this, 'DestinationAllowList', {
      description:
        'Caller destinations results may go to (context destinationQueueArns, destinationBucketNames, destinationEventBusArns, defaultDestination)',
      value: this.completion.allowList.entries().join(','),
    });
    // A batch halted by a missing file is handed back to completion by hand, once restored.
    new CfnOutput(this, 'CompletionQueueUrl', {
      description: 'Send {"batch_id":"…"} here to hand an ended batch to completion again',
      value: this.completion.queue.queueUrl,
    });
    // Operators inspect dead-letter queues by URL and redrive them by ARN.
    const deadLetterQueues = [
      ['Intake', this.intakeQueue.deadLetterQueue],
      ['Completion', this.completion.deadLetterQueue],
      ['Realtime', this.realtime.deadLetterQueue],
    ] as const;
    for (const [name, queue] of deadLetterQueues) {
      new CfnOutput(this, `${name}DeadLetterQueueUrl`, { value: queue.queueUrl });
      new CfnOutput(this, `${name}DeadLetterQueueArn`, { value: queue.queueArn });
    }
    // Destinations in other accounts grant these roles in their own policies (docs/deploy.md).
    const roles = [
      ['Collector', this.collector.function.role],
      ['Completion', this.completion.function.role],
      ['Realtime', this.realtime.function.role],
      ['Poller', this.poller.function.role],
    ] as const;
    for (const [name, role] of roles) {
      new CfnOutput(this, `${name}RoleArn`, {
        description: `Execution role of the ${name.toLowerCase()} function: name it in cross-account destination policies`,
        value: role.roleArn,
      });
    }
    new CfnOutput(this, 'EnabledProviders', {
      value: this.providerSecrets.enabledProviders.join(','),
    });
    if (this.webhookReceiver !== undefined) {
      for (const provider of this.webhookReceiver.providers) {
        new CfnOutput(this, `${provider}WebhookUrl`, {
          description: `Register this URL as ${provider}'s batch webhook endpoint (docs/deploy.md)`,
          value: `${this.webhookReceiver.url.url}${provider}`,
        });
      }
      for (const provider of this.webhookReceiver.createdFor) {
        new CfnOutput(this, `${provider}WebhookSecretArn`, {
          description: `Put ${provider}'s webhook signing secret (whsec_…) into this secret`,
          value: this.webhookReceiver.secrets.get(provider)?.secretArn ?? '',
        });
      }
    }
    new CfnOutput(this, 'DashboardName', { value: this.dashboard.dashboard.dashboardName });
    for (const provider of this.providerSecrets.createdFor) {
      const secret = this.providerSecrets.secretFor(provider);
      if (secret !== undefined) {
        new CfnOutput(this, `${provider}SecretArn`, {
          description: `Put the ${provider} API key into this secret`,
          value: secret.secretArn,
        });
      }
    }
  }
}

export { BatchlaneStack, type BatchlaneStackProps };
