import type { Destination } from '../contract/destination.js';
import type { BuiltInProfileId, ProviderProfile } from '../contract/providerProfile.js';
import type { BuiltInProviderName, ProviderName } from '../contract/providers.js';
import type { Quotas } from '../domain/admitRequests.js';
import type { DestinationPolicy } from '../domain/destinationPolicy.js';
import type { PriceTable } from '../domain/pricing/PriceTable.js';
import type { ProducerPolicy } from '../domain/producer.js';
import type { WebhookSecretsByHost } from '../domain/webhookSecrets.js';

/** How one provider is reached. Exactly one of `apiKey` / `secretArn` is set when enabled. */
interface ProviderConnection {
  /** API key given directly (local runs); deployed stacks use `secretArn`. */
  readonly apiKey: string | null;
  /** Secrets Manager secret holding the API key (deployed stacks). */
  readonly secretArn: string | null;
  /** Override of the provider's base URL (simulator, OpenAI-compatible providers). */
  readonly baseUrl: string | null;
}

/**
 * Webhook signing secrets, one per receiving host: Secrets Manager ARNs (deployed,
 * `BATCHLANE_WEBHOOK_SECRET_ARNS`) or the secrets themselves (local stack and tests,
 * `BATCHLANE_WEBHOOK_SECRETS`).
 */
type WebhookSecretsConfig =
  | {
      readonly source: 'secretsManager';
      readonly secretArnsByHost: Readonly<Record<string, string>>;
    }
  | { readonly source: 'inline'; readonly secretsByHost: WebhookSecretsByHost };

/** Everything the handlers need, read once per execution environment. */
interface BatchlaneConfig {
  readonly tableName: string;
  readonly bucketName: string;
  readonly eventBusName: string;
  /** Queue the poller feeds with ended batches for the completion function. */
  readonly completionQueueUrl: string;
  readonly defaultDestination: Destination | null;
  readonly enabledProviders: readonly ProviderName[];
  /**
   * Every provider profile (`BATCHLANE_PROVIDER_PROFILES`): the built-in ones with the
   * deployment's changes, and the deployment's own under their ids; absent: the built-in ones.
   */
  readonly profiles?: Readonly<Record<string, ProviderProfile>>;
  /** Profiles may be left out: they are reached at their profile's base URL. */
  readonly providers: Readonly<
    Record<Exclude<BuiltInProviderName, BuiltInProfileId>, ProviderConnection> &
      Partial<Record<ProviderName, ProviderConnection>>
  >;
  /** How long the idempotency ledger remembers a `custom_id`. */
  readonly idempotencyTtlSeconds: number;
  /** Caps below the providers' own limits (tests, demos). Null: the provider's limit. */
  readonly maxRequestsPerBatch: number | null;
  readonly maxBytesPerBatch: number | null;
  /** Seconds between polls of a young batch; the poller backs off from there. */
  readonly pollIntervalSeconds: number;
  /**
   * The longest a batch fills (takes parts from collector invocations) before it is sealed
   * and submitted; a batch also seals as soon as it is full. 0: every invocation seals what
   * it packed, so batches hold at most one invocation's requests.
   */
  readonly batchMaxAgeSeconds: number;
  /** Where webhook signing secrets come from; null disables webhook destinations. */
  readonly webhookSecrets: WebhookSecretsConfig | null;
  /** Lets webhooks reach loopback/private addresses (local development only). */
  readonly allowPrivateWebhooks: boolean;
  /**
   * Destinations the deployment may deliver to (`BATCHLANE_DESTINATION_ALLOW_LIST`): unset,
   * empty or `none` allows none; only `*` (the local stack) allows any.
   */
  readonly destinationPolicy: DestinationPolicy;
  /** The deployment's AWS region: SQS and EventBridge destinations must be in it. */
  readonly region: string;
  /**
   * Largest claim-check object the collector reads, below the provider's per-batch limit: a
   * body is held several times over while it is parsed and packed, so this bounds memory.
   */
  readonly maxClaimCheckBytes: number;
  /** Most provider attempts per request (expired/canceled/retryable errors go again). */
  readonly maxAttempts: number;
  /** Whether a `Request Completed` event is published per delivered result (costs one event each). */
  readonly publishRequestEvents: boolean;
  /**
   * How long a run that submits or completes a batch owns it; after that the poller (or
   * another completion run) takes over. Must exceed the longest function timeout.
   */
  readonly leaseSeconds: number;
  /** The shipped price table with the deployment's overrides applied. */
  readonly priceTable: PriceTable;
  /** The `metadata` key whose value is a request's cost tag in the ledger and reports. */
  readonly costTagKey: string;
  /** Queue of the realtime lane's worker (flex and standard calls); null: no realtime lane. */
  readonly realtimeQueueUrl: string | null;
  /** `auto`: the longest a provider may take to end a batch (its 24 h window). */
  readonly autoBatchWindowSeconds: number;
  /** `auto`: room kept on top of the window before a batch is trusted with a deadline. */
  readonly autoMarginSeconds: number;
  /** `auto`: a member still in a running batch this close to its deadline is escalated. */
  readonly escalateBeforeDeadlineSeconds: number;
  /** The intake queue: held requests are sent back to it with a delay. */
  readonly intakeQueueUrl: string | null;
  /** Most requests / prompt tokens in flight per provider and model (`*`: any model). */
  readonly quotas: Quotas;
  /** Spending caps in USD; null: none. */
  readonly budgetDailyUsd: number | null;
  readonly budgetMonthlyUsd: number | null;
  /** How long a request held by a quota waits before it is read again. */
  readonly quotaRetrySeconds: number;
  /**
   * What an unpriced model is assumed to cost while a budget is set, in USD per million
   * tokens (input and output alike); null: such requests are refused (`unpriced_model`).
   */
  readonly unpricedCeilingUsdPerMTok: number | null;
  /** How producers are told apart: namespaces by principal, and batchlane's own principals. */
  readonly producers: ProducerPolicy;
  /** First delay before a realtime job that failed for now is tried again (doubles per try). */
  readonly realtimeRetryBaseSeconds: number;
  /** When a failed completion message comes back (instead of the queue's visibility timeout). */
  readonly completionRetrySeconds: number;
  /** Amazon Bedrock batch inference; null unless the deployment names its service role. */
  readonly bedrock: BedrockConfig | null;
  /**
   * How far the functions' clock runs ahead of the system's, in ms (0 in AWS). Local runs set
   * it to share the provider simulator's clock, so a discount window can open in seconds.
   */
  readonly clockOffsetMs?: number;
}

/**
 * How batchlane runs Bedrock jobs. Bedrock authenticates with the function's own IAM role
 * (no API key); its jobs read and write the artifacts bucket through the service role.
 */
interface BedrockConfig {
  /** The service role Bedrock assumes to read the input and write the output. */
  readonly roleArn: string;
  /** The account's "Minimum number of records per batch inference job" quota. */
  readonly minRecordsPerJob: number;
  /** The account's concurrent-jobs quota per model and Region: more jobs wait to be submitted. */
  readonly maxConcurrentJobsPerModel: number;
  /**
   * The longest a group below the minimum waits to fill when none of its requests has a
   * deadline to say otherwise; it then goes to the realtime lane.
   */
  readonly belowMinimumWaitSeconds: number;
  /**
   * Where jobs' files go when that is not the stack's artifacts bucket: a real bucket in the
   * account, when the local stack drives the real Bedrock service (the service cannot read the
   * S3 emulator). `s3Endpoint` is set only to point that bucket at another S3 endpoint. Null
   * in a deployment: the artifacts bucket, so no data leaves the stack.
   */
  readonly jobBucket: { readonly name: string; readonly s3Endpoint: string | null } | null;
}

/**
 * A provider profile's variables: its secret's ARN and its base URL override
 * (`azure-openai` → `BATCHLANE_AZURE_OPENAI_SECRET_ARN`); the key itself (local runs) is in the
 * profile's own `key.envVar`.
 */
const profileEnvNames = (id: string): { readonly secretArn: string; readonly baseUrl: string } => {
  const stem = `BATCHLANE_${id.toUpperCase().replace(/-/g, '_')}`;
  return { secretArn: `${stem}_SECRET_ARN`, baseUrl: `${stem}_BASE_URL` };
};

/** Names of the environment variables the handlers read (infra sets them, nothing else). */
const ENV = {
  tableName: 'BATCHLANE_TABLE_NAME',
  bucketName: 'BATCHLANE_BUCKET_NAME',
  eventBusName: 'BATCHLANE_EVENT_BUS_NAME',
  completionQueueUrl: 'BATCHLANE_COMPLETION_QUEUE_URL',
  defaultDestination: 'BATCHLANE_DEFAULT_DESTINATION',
  enabledProviders: 'BATCHLANE_PROVIDERS',
  providerProfiles: 'BATCHLANE_PROVIDER_PROFILES',
  anthropicApiKey: 'ANTHROPIC_API_KEY',
  anthropicSecretArn: 'BATCHLANE_ANTHROPIC_SECRET_ARN',
  anthropicBaseUrl: 'BATCHLANE_ANTHROPIC_BASE_URL',
  openaiApiKey: 'OPENAI_API_KEY',
  openaiSecretArn: 'BATCHLANE_OPENAI_SECRET_ARN',
  openaiBaseUrl: 'BATCHLANE_OPENAI_BASE_URL',
  geminiApiKey: 'GEMINI_API_KEY',
  geminiSecretArn: 'BATCHLANE_GEMINI_SECRET_ARN',
  geminiBaseUrl: 'BATCHLANE_GEMINI_BASE_URL',
  mistralApiKey: 'MISTRAL_API_KEY',
  mistralSecretArn: 'BATCHLANE_MISTRAL_SECRET_ARN',
  mistralBaseUrl: 'BATCHLANE_MISTRAL_BASE_URL',
  deepseekApiKey: 'DEEPSEEK_API_KEY',
  deepseekSecretArn: 'BATCHLANE_DEEPSEEK_SECRET_ARN',
  deepseekBaseUrl: 'BATCHLANE_DEEPSEEK_BASE_URL',
  idempotencyTtlSeconds: 'BATCHLANE_IDEMPOTENCY_TTL_SECONDS',
  maxRequestsPerBatch: 'BATCHLANE_MAX_REQUESTS_PER_BATCH',
  maxBytesPerBatch: 'BATCHLANE_MAX_BYTES_PER_BATCH',
  pollIntervalSeconds: 'BATCHLANE_POLL_INTERVAL_SECONDS',
  batchMaxAgeSeconds: 'BATCHLANE_BATCH_MAX_AGE_SECONDS',
  webhookSecretArns: 'BATCHLANE_WEBHOOK_SECRET_ARNS',
  webhookSecrets: 'BATCHLANE_WEBHOOK_SECRETS',
  allowPrivateWebhooks: 'BATCHLANE_ALLOW_PRIVATE_WEBHOOKS',
  destinationAllowList: 'BATCHLANE_DESTINATION_ALLOW_LIST',
  maxClaimCheckBytes: 'BATCHLANE_MAX_CLAIM_CHECK_BYTES',
  maxAttempts: 'BATCHLANE_MAX_ATTEMPTS',
  publishRequestEvents: 'BATCHLANE_PUBLISH_REQUEST_EVENTS',
  leaseSeconds: 'BATCHLANE_LEASE_SECONDS',
  priceTable: 'BATCHLANE_PRICE_TABLE',
  costTagKey: 'BATCHLANE_COST_TAG_KEY',
  realtimeQueueUrl: 'BATCHLANE_REALTIME_QUEUE_URL',
  autoBatchWindowSeconds: 'BATCHLANE_AUTO_BATCH_WINDOW_SECONDS',
  autoMarginSeconds: 'BATCHLANE_AUTO_MARGIN_SECONDS',
  escalateBeforeDeadlineSeconds: 'BATCHLANE_ESCALATE_BEFORE_DEADLINE_SECONDS',
  intakeQueueUrl: 'BATCHLANE_INTAKE_QUEUE_URL',
  quotas: 'BATCHLANE_QUOTAS',
  budgetDailyUsd: 'BATCHLANE_BUDGET_DAILY_USD',
  budgetMonthlyUsd: 'BATCHLANE_BUDGET_MONTHLY_USD',
  quotaRetrySeconds: 'BATCHLANE_QUOTA_RETRY_SECONDS',
  unpricedCeilingUsdPerMTok: 'BATCHLANE_UNPRICED_CEILING_USD_PER_MTOK',
  producerNamespaces: 'BATCHLANE_PRODUCER_NAMESPACES',
  selfPrincipals: 'BATCHLANE_SELF_PRINCIPALS',
  realtimeRetryBaseSeconds: 'BATCHLANE_REALTIME_RETRY_BASE_SECONDS',
  clockOffsetMs: 'BATCHLANE_CLOCK_OFFSET_MS',
  completionRetrySeconds: 'BATCHLANE_COMPLETION_RETRY_SECONDS',
  bedrockRoleArn: 'BATCHLANE_BEDROCK_ROLE_ARN',
  bedrockEndpoint: 'BATCHLANE_BEDROCK_ENDPOINT',
  bedrockMinRecords: 'BATCHLANE_BEDROCK_MIN_RECORDS',
  bedrockMaxConcurrentJobs: 'BATCHLANE_BEDROCK_MAX_CONCURRENT_JOBS',
  bedrockJobBucket: 'BATCHLANE_BEDROCK_JOB_BUCKET',
  bedrockJobS3Endpoint: 'BATCHLANE_BEDROCK_JOB_S3_ENDPOINT',
  belowMinimumWaitSeconds: 'BATCHLANE_BELOW_MINIMUM_WAIT_SECONDS',
} as const;

export {
  type BatchlaneConfig,
  type BedrockConfig,
  ENV,
  type ProviderConnection,
  profileEnvNames,
  type WebhookSecretsConfig,
};
