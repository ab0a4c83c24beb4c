import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { observeClientCommands } from '../adapters/aws/awsCommandObserver.js';
import { createApiKeyResolver } from '../adapters/aws/createApiKeyResolver.js';
import { type AwsClients, createAwsClients } from '../adapters/aws/createAwsClients.js';
import { DynamoDbTurnaroundLog } from '../adapters/aws/DynamoDbTurnaroundLog.js';
import { S3BlobStore } from '../adapters/aws/S3BlobStore.js';
import { PowertoolsMetricsSink } from '../adapters/observability/PowertoolsMetricsSink.js';
import { createBatchProviders } from '../adapters/providers/createBatchProviders.js';
import { createRealtimeProviders } from '../adapters/providers/createRealtimeProviders.js';
import { offsetClock, ulidIds } from '../adapters/system/systemClock.js';
import type { BatchlaneConfig, BedrockConfig } from '../config/BatchlaneConfig.js';
import { type Env, loadConfig } from '../config/loadConfig.js';
import { loadPushedProviders } from '../config/pushConfig.js';
import { loadStuckBatchSettings } from '../config/stuckConfig.js';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../contract/metrics.js';
import { BUILT_IN_PROFILES, profileRunLimits } from '../contract/providerProfile.js';
import { providerRegistry } from '../contract/providerRegistry.js';
import type { BlobStore } from '../ports/BlobStore.js';
import type { Logger } from '../ports/Logger.js';
import type { RuntimeDeps } from '../usecases/RuntimeDeps.js';
import { createAwsBackedDeps } from './createAwsAdapters.js';

/** What a handler holds for the life of its execution environment. */
interface Runtime {
  readonly config: BatchlaneConfig;
  readonly deps: RuntimeDeps;
  readonly logger: PowertoolsLogger;
  /** Writes the metrics gathered during one invocation. */
  flushMetrics(): void;
}

/** Powertools' logger behind the use cases' logging port. */
const loggerPort = (logger: PowertoolsLogger): Logger => ({
  debug: (message, attributes) => logger.debug(message, attributes ?? {}),
  info: (message, attributes) => logger.info(message, attributes ?? {}),
  warn: (message, attributes) => logger.warn(message, attributes ?? {}),
  error: (message, attributes) => logger.error(message, attributes ?? {}),
});

/**
 * Where Bedrock's job files go: the stack's artifacts bucket, unless the configuration names
 * a bucket of their own. That bucket is reached at its own endpoint (the real S3 of the
 * Region unless one is given), never at the local S3 emulator the other adapters may use: it
 * is what lets the local stack drive the real Bedrock service.
 */
const bedrockJobFiles = (
  jobBucket: BedrockConfig['jobBucket'],
  artifacts: BlobStore,
  aws: AwsClients,
  region: string,
  functionName: string,
): BlobStore => {
  if (jobBucket === null) return artifacts;
  const client = observeClientCommands(
    new S3Client({
      region,
      // The same credentials as every other client; only the endpoint differs.
      credentials: aws.s3.config.credentials,
      endpoint: jobBucket.s3Endpoint ?? `https://s3.${region}.amazonaws.com`,
      forcePathStyle: jobBucket.s3Endpoint !== null,
    }),
    functionName,
    region,
  );
  return new S3BlobStore({ client, bucket: jobBucket.name });
};

/** What a caller may hand the composition root instead of what it would build itself. */
interface RuntimeOptions {
  /**
   * The AWS clients every adapter uses; by default made from `env`. The bench passes clients
   * that count their calls.
   */
  readonly aws?: AwsClients;
}

/**
 * The composition root: reads the configuration once and builds every adapter the use cases
 * need. Each handler calls it at module scope, so clients are reused across invocations; the
 * local stack, the bench and the tests build the same runtime.
 */
const createRuntime = async (
  env: Env,
  functionName: string,
  options: RuntimeOptions = {},
): Promise<Runtime> => {
  const config = loadConfig(env);
  const clock = offsetClock(config.clockOffsetMs ?? 0);
  const aws = options.aws ?? createAwsClients(env, { functionName });
  const logger = new PowertoolsLogger({
    serviceName: SERVICE_NAME,
    persistentKeys: { function: functionName },
  });
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });
  const metricsSink = new PowertoolsMetricsSink(metrics);

  let secrets: SecretsManagerClient | undefined;
  const secretsClient = (): SecretsManagerClient => {
    secrets ??= observeClientCommands(
      new SecretsManagerClient({}),
      functionName,
      env['AWS_REGION'] ?? 'us-east-1',
    );
    return secrets;
  };
  const resolveApiKey = createApiKeyResolver(secretsClient);

  const awsBacked = createAwsBackedDeps(config, aws);
  // Bedrock's clients sign with the function's credentials; the endpoint is set only locally.
  const region = env['AWS_REGION'] ?? env['AWS_DEFAULT_REGION'] ?? 'us-east-1';
  const bedrockClientConfig = {
    region,
    ...(config.providers.bedrock.baseUrl === null
      ? {}
      : { endpoint: config.providers.bedrock.baseUrl }),
  };
  const { bedrock } = config;
  // Bedrock's SDKs and adapters are imported at the first Bedrock call, as every provider's.
  const bedrockBatch =
    bedrock === null
      ? undefined
      : async () => {
          const [{ BedrockClient }, { BedrockBatchProvider }] = await Promise.all([
            import('@aws-sdk/client-bedrock'),
            import('../adapters/providers/BedrockBatchProvider.js'),
          ]);
          return new BedrockBatchProvider({
            client: new BedrockClient(bedrockClientConfig),
            files: bedrockJobFiles(bedrock.jobBucket, awsBacked.blobs, aws, region, functionName),
            roleArn: bedrock.roleArn,
            clock,
          });
        };
  const bedrockRealtime =
    bedrock === null
      ? undefined
      : async () => {
          const [{ BedrockRuntimeClient }, { BedrockRealtimeProvider }] = await Promise.all([
            import('@aws-sdk/client-bedrock-runtime'),
            import('../adapters/providers/BedrockRealtimeProvider.js'),
          ]);
          return new BedrockRealtimeProvider({
            client: new BedrockRuntimeClient(bedrockClientConfig),
          });
        };

  const profileLimits = profileRunLimits(config.profiles ?? BUILT_IN_PROFILES);
  // The providers the deployment knows, its own profiles among them.
  const registry = providerRegistry(config.profiles);
  const deps: RuntimeDeps = {
    ...createAwsBackedDeps(config, aws, secretsClient),
    providers: await createBatchProviders(config, resolveApiKey, {}, bedrockBatch),
    realtimeProviders: await createRealtimeProviders(config, resolveApiKey, {}, bedrockRealtime),
    turnarounds: new DynamoDbTurnaroundLog({
      client: aws.documentClient,
      tableName: config.tableName,
    }),
    clock,
    ids: ulidIds(clock),
    logger: loggerPort(logger),
    metrics: metricsSink,
    settings: {
      defaultDestination: config.defaultDestination,
      enabledProviders: config.enabledProviders,
      registry,
      idempotencyTtlSeconds: config.idempotencyTtlSeconds,
      maxRequestsPerBatch: config.maxRequestsPerBatch,
      maxBytesPerBatch: config.maxBytesPerBatch,
      pollIntervalSeconds: config.pollIntervalSeconds,
      batchMaxAgeMs: config.batchMaxAgeSeconds * 1000,
      maxAttempts: config.maxAttempts,
      publishRequestEvents: config.publishRequestEvents,
      leaseMs: config.leaseSeconds * 1000,
      allowPrivateWebhooks: config.allowPrivateWebhooks,
      destinationPolicy: config.destinationPolicy,
      region: config.region,
      claimCheckBucket: config.bucketName,
      maxClaimCheckBytes: config.maxClaimCheckBytes,
      priceTable: config.priceTable,
      costTagKey: config.costTagKey,
      lanePolicy: {
        batchWindowMs: config.autoBatchWindowSeconds * 1000,
        batchMarginMs: config.autoMarginSeconds * 1000,
        batchWindowMsByProvider: profileLimits.batchWindowMs,
        registry,
      },
      maxEnqueuedTokensPerModel: profileLimits.maxEnqueuedTokensPerModel,
      runsPastExpiryMs: profileLimits.runsPastExpiryMs,
      escalateBeforeDeadlineMs: config.escalateBeforeDeadlineSeconds * 1000,
      quotas: config.quotas,
      quotaRetrySeconds: config.quotaRetrySeconds,
      realtimeRetryBaseSeconds: config.realtimeRetryBaseSeconds,
      ...(bedrock === null
        ? {}
        : {
            minRequestsPerBatch: { bedrock: bedrock.minRecordsPerJob },
            maxConcurrentBatchesPerModel: { bedrock: bedrock.maxConcurrentJobsPerModel },
            belowMinimumWaitMs: bedrock.belowMinimumWaitSeconds * 1000,
          }),
      producers: config.producers,
      pushedProviders: loadPushedProviders(env),
      stuckBatches: loadStuckBatchSettings(env),
      // USD per million tokens is nano-dollars per thousandth of a token: ×1000 per token.
      unpricedCeilingNanoUsdPerToken:
        config.unpricedCeilingUsdPerMTok === null ? null : config.unpricedCeilingUsdPerMTok * 1000,
      budget: {
        dailyNanoUsd:
          config.budgetDailyUsd === null ? null : Math.round(config.budgetDailyUsd * 1e9),
        monthlyNanoUsd:
          config.budgetMonthlyUsd === null ? null : Math.round(config.budgetMonthlyUsd * 1e9),
      },
    },
  };
  return { config, deps, logger, flushMetrics: () => metricsSink.flush() };
};

export { createRuntime, loggerPort, type Runtime, type RuntimeOptions };
