import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { observeClientCommands } from '../adapters/aws/awsCommandObserver.js';
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
import { createBatchProviders } from '../adapters/providers/createBatchProviders.js';
import { createRealtimeProviders } from '../adapters/providers/createRealtimeProviders.js';
import { systemClock, ulidIds } from '../adapters/system/systemClock.js';
import type { BatchlaneConfig } from '../config/BatchlaneConfig.js';
import { type Env, loadConfig } from '../config/loadConfig.js';
import { maxRequestBytesOf } from '../domain/validateRequest.js';
import type { Logger } from '../ports/Logger.js';
import type { RuntimeDeps } from '../usecases/RuntimeDeps.js';
import { createWebhookSecrets } from './createWebhookSecrets.js';

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
  const aws = createAwsClients(env, { functionName });
  const logger = new PowertoolsLogger({
    serviceName: 'batchlane',
    persistentKeys: { function: functionName },
  });
  const metrics = new Metrics({ namespace: 'batchlane', serviceName: 'batchlane' });
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

  const blobs = new S3BlobStore({ client: aws.s3, bucket: config.bucketName });
  const deliverer = new DestinationRouter({
    sqs: new SqsResultSender({ client: aws.sqs, overflow: blobs }),
    s3: new S3ResultWriter({ client: aws.s3 }),
    eventbridge: new EventBridgeResultPublisher({ client: aws.eventBridge, overflow: blobs }),
    webhook:
      config.webhookSecrets === null
        ? null
        : new WebhookResultSender({
            secrets: createWebhookSecrets(config.webhookSecrets, secretsClient),
            allowPrivate: config.allowPrivateWebhooks,
          }),
    allowList: config.destinationAllowList,
  });

  const deps: RuntimeDeps = {
    store: new DynamoDbStateStore({ client: aws.documentClient, tableName: config.tableName }),
    blobs,
    claimChecks: new S3ClaimCheckReader({
      client: aws.s3,
      maxBytes: maxRequestBytesOf(config.maxBytesPerBatch),
    }),
    providers: await createBatchProviders(config, resolveApiKey),
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
    realtimeProviders: await createRealtimeProviders(config, resolveApiKey),
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
