import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { BedrockClient } from '@aws-sdk/client-bedrock';
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createApiKeyResolver } from '../adapters/aws/createApiKeyResolver.js';
import { createAwsClients } from '../adapters/aws/createAwsClients.js';
import { DestinationRouter } from '../adapters/aws/DestinationRouter.js';
import { DynamoDbCostLedger } from '../adapters/aws/DynamoDbCostLedger.js';
import { DynamoDbStateStore } from '../adapters/aws/DynamoDbStateStore.js';
import { EventBridgeEventPublisher } from '../adapters/aws/EventBridgeEventPublisher.js';
import { EventBridgeResultPublisher } from '../adapters/aws/EventBridgeResultPublisher.js';
import { S3BlobStore } from '../adapters/aws/S3BlobStore.js';
import { S3ClaimCheckReader } from '../adapters/aws/S3ClaimCheckReader.js';
import { S3ResultWriter } from '../adapters/aws/S3ResultWriter.js';
import { SqsCompletionNotifier } from '../adapters/aws/SqsCompletionNotifier.js';
import { SqsIntakeRequeuer } from '../adapters/aws/SqsIntakeRequeuer.js';
import { SqsRealtimeDispatcher } from '../adapters/aws/SqsRealtimeDispatcher.js';
import { SqsResultSender } from '../adapters/aws/SqsResultSender.js';
import { WebhookResultSender } from '../adapters/aws/WebhookResultSender.js';
import { PowertoolsMetricsSink } from '../adapters/observability/PowertoolsMetricsSink.js';
import { BedrockBatchProvider } from '../adapters/providers/BedrockBatchProvider.js';
import { BedrockRealtimeProvider } from '../adapters/providers/BedrockRealtimeProvider.js';
import { createBatchProviders } from '../adapters/providers/createBatchProviders.js';
import { createRealtimeProviders } from '../adapters/providers/createRealtimeProviders.js';
import { systemClock, ulidIds } from '../adapters/system/systemClock.js';
import type { BatchlaneConfig } from '../config/BatchlaneConfig.js';
import { type Env, loadConfig } from '../config/loadConfig.js';
import { maxRequestBytesOf } from '../domain/validateRequest.js';
import type { Logger } from '../ports/Logger.js';
import type { RuntimeDeps } from '../usecases/RuntimeDeps.js';

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
 * The composition root: reads the configuration once and builds every adapter the use cases
 * need. Each handler calls it at module scope, so clients are reused across invocations.
 */
const createRuntime = async (env: Env, functionName: string): Promise<Runtime> => {
  const config = loadConfig(env);
  const aws = createAwsClients(env);
  const logger = new PowertoolsLogger({
    serviceName: 'batchlane',
    persistentKeys: { function: functionName },
  });
  const metrics = new Metrics({ namespace: 'batchlane', serviceName: 'batchlane' });
  const metricsSink = new PowertoolsMetricsSink(metrics);

  let secrets: SecretsManagerClient | undefined;
  const resolveApiKey = createApiKeyResolver(() => {
    secrets ??= new SecretsManagerClient({});
    return secrets;
  });

  const blobs = new S3BlobStore({ client: aws.s3, bucket: config.bucketName });
  const deliverer = new DestinationRouter({
    sqs: new SqsResultSender({ client: aws.sqs, overflow: blobs }),
    s3: new S3ResultWriter({ client: aws.s3 }),
    eventbridge: new EventBridgeResultPublisher({ client: aws.eventBridge, overflow: blobs }),
    webhook:
      config.webhookSecret === null
        ? null
        : new WebhookResultSender({
            secret: config.webhookSecret,
            allowPrivate: config.allowPrivateWebhooks,
          }),
    allowList: config.destinationAllowList,
  });

  // Bedrock's clients sign with the function's credentials; the endpoint is set only locally.
  const bedrockClientConfig = {
    region: env['AWS_REGION'] ?? env['AWS_DEFAULT_REGION'] ?? 'us-east-1',
    ...(config.providers.bedrock.baseUrl === null
      ? {}
      : { endpoint: config.providers.bedrock.baseUrl }),
  };
  const { bedrock } = config;
  const bedrockBatch =
    bedrock === null
      ? undefined
      : () =>
          new BedrockBatchProvider({
            client: new BedrockClient(bedrockClientConfig),
            files: blobs,
            roleArn: bedrock.roleArn,
            clock: systemClock,
          });
  const bedrockRealtime =
    bedrock === null
      ? undefined
      : () =>
          new BedrockRealtimeProvider({ client: new BedrockRuntimeClient(bedrockClientConfig) });

  const deps: RuntimeDeps = {
    store: new DynamoDbStateStore({ client: aws.documentClient, tableName: config.tableName }),
    blobs,
    claimChecks: new S3ClaimCheckReader({
      client: aws.s3,
      maxBytes: maxRequestBytesOf(config.maxBytesPerBatch),
    }),
    providers: await createBatchProviders(config, resolveApiKey, {}, bedrockBatch),
    events: new EventBridgeEventPublisher({
      client: aws.eventBridge,
      eventBusName: config.eventBusName,
    }),
    deliverer,
    completion: new SqsCompletionNotifier({ client: aws.sqs, queueUrl: config.completionQueueUrl }),
    costs: new DynamoDbCostLedger({ client: aws.documentClient, tableName: config.tableName }),
    realtime:
      config.realtimeQueueUrl === null
        ? null
        : new SqsRealtimeDispatcher({ client: aws.sqs, queueUrl: config.realtimeQueueUrl }),
    realtimeProviders: await createRealtimeProviders(config, resolveApiKey, {}, bedrockRealtime),
    requeue:
      config.intakeQueueUrl === null
        ? null
        : new SqsIntakeRequeuer({ client: aws.sqs, queueUrl: config.intakeQueueUrl }),
    clock: systemClock,
    ids: ulidIds(systemClock),
    logger: loggerPort(logger),
    metrics: metricsSink,
    settings: {
      defaultDestination: config.defaultDestination,
      enabledProviders: config.enabledProviders,
      idempotencyTtlSeconds: config.idempotencyTtlSeconds,
      maxRequestsPerBatch: config.maxRequestsPerBatch,
      maxBytesPerBatch: config.maxBytesPerBatch,
      pollIntervalSeconds: config.pollIntervalSeconds,
      batchMaxAgeMs: config.batchMaxAgeSeconds * 1000,
      maxAttempts: config.maxAttempts,
      publishRequestEvents: config.publishRequestEvents,
      leaseMs: config.leaseSeconds * 1000,
      allowPrivateWebhooks: config.allowPrivateWebhooks,
      priceTable: config.priceTable,
      costTagKey: config.costTagKey,
      lanePolicy: {
        batchWindowMs: config.autoBatchWindowSeconds * 1000,
        batchMarginMs: config.autoMarginSeconds * 1000,
      },
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

export { createRuntime, type Runtime };
