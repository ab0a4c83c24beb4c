import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type AwsClients, createAwsClients } from '../shared/adapters/aws/createAwsClients.js';
import { DestinationRouter } from '../shared/adapters/aws/DestinationRouter.js';
import { DynamoDbCostLedger } from '../shared/adapters/aws/DynamoDbCostLedger.js';
import { DynamoDbStateStore } from '../shared/adapters/aws/DynamoDbStateStore.js';
import { EventBridgeEventPublisher } from '../shared/adapters/aws/EventBridgeEventPublisher.js';
import { EventBridgeResultPublisher } from '../shared/adapters/aws/EventBridgeResultPublisher.js';
import { S3BlobStore } from '../shared/adapters/aws/S3BlobStore.js';
import { S3ClaimCheckReader } from '../shared/adapters/aws/S3ClaimCheckReader.js';
import { S3ResultWriter } from '../shared/adapters/aws/S3ResultWriter.js';
import { SqsCompletionNotifier } from '../shared/adapters/aws/SqsCompletionNotifier.js';
import { SqsIntakeRequeuer } from '../shared/adapters/aws/SqsIntakeRequeuer.js';
import { SqsRealtimeDispatcher } from '../shared/adapters/aws/SqsRealtimeDispatcher.js';
import { SqsResultSender } from '../shared/adapters/aws/SqsResultSender.js';
import { WebhookResultSender } from '../shared/adapters/aws/WebhookResultSender.js';
import { createRuntime } from '../shared/composition/createRuntime.js';
import { createWebhookSecrets } from '../shared/composition/createWebhookSecrets.js';
import type { BatchlaneConfig } from '../shared/config/BatchlaneConfig.js';
import type { Env } from '../shared/config/loadConfig.js';
import { maxRequestBytesOf } from '../shared/domain/validateRequest.js';
import type { RuntimeDeps } from '../shared/usecases/RuntimeDeps.js';
import { instrument, type Tally } from './awsCounters.js';

/** What a bench phase holds: the deps the use cases get, plus the clients behind them. */
interface BenchRuntime {
  readonly config: BatchlaneConfig;
  readonly deps: RuntimeDeps;
  readonly aws: AwsClients;
  flushMetrics(): void;
}

/**
 * The handlers' own runtime (`createRuntime`: configuration, settings, providers, clock, ids,
 * logger, metrics), with every AWS-backed adapter rebuilt, the same way, on clients that carry
 * a counting middleware: `createRuntime` keeps its clients private, so they cannot be
 * instrumented in place. Every AWS-backed dep is rebuilt (state store, blob store, claim
 * checks, cost ledger, deliverers, events, completion, realtime and requeue queues), so every
 * call the use cases make is counted; the rest stay as `createRuntime` made them.
 * The DocumentClient shares the DynamoDB client's middleware stack, so one middleware counts
 * both.
 */
const createBenchRuntime = async (env: Env, tally: () => Tally): Promise<BenchRuntime> => {
  const runtime = await createRuntime(env, 'bench');
  const { config } = runtime;
  const aws = createAwsClients(env);
  instrument(aws.sqs.middlewareStack, 'SQS', tally);
  instrument(aws.s3.middlewareStack, 'S3', tally);
  instrument(aws.dynamodb.middlewareStack, 'DynamoDB', tally);
  instrument(aws.eventBridge.middlewareStack, 'EventBridge', tally);

  const blobs = new S3BlobStore({ client: aws.s3, bucket: config.bucketName });
  const deps: RuntimeDeps = {
    ...runtime.deps,
    store: new DynamoDbStateStore({ client: aws.documentClient, tableName: config.tableName }),
    blobs,
    claimChecks: new S3ClaimCheckReader({
      client: aws.s3,
      maxBytes: maxRequestBytesOf(config.maxBytesPerBatch),
    }),
    costs: new DynamoDbCostLedger({ client: aws.documentClient, tableName: config.tableName }),
    realtime:
      config.realtimeQueueUrl === null
        ? null
        : new SqsRealtimeDispatcher({ client: aws.sqs, queueUrl: config.realtimeQueueUrl }),
    requeue:
      config.intakeQueueUrl === null
        ? null
        : new SqsIntakeRequeuer({ client: aws.sqs, queueUrl: config.intakeQueueUrl }),
    deliverer: new DestinationRouter({
      sqs: new SqsResultSender({ client: aws.sqs, overflow: blobs }),
      s3: new S3ResultWriter({ client: aws.s3 }),
      eventbridge: new EventBridgeResultPublisher({ client: aws.eventBridge, overflow: blobs }),
      webhook:
        config.webhookSecrets === null
          ? null
          : new WebhookResultSender({
              secrets: createWebhookSecrets(
                config.webhookSecrets,
                () => new SecretsManagerClient({}),
              ),
              allowPrivate: config.allowPrivateWebhooks,
            }),
      allowList: config.destinationAllowList,
    }),
    events: new EventBridgeEventPublisher({
      client: aws.eventBridge,
      eventBusName: config.eventBusName,
    }),
    completion: new SqsCompletionNotifier({ client: aws.sqs, queueUrl: config.completionQueueUrl }),
  };
  return { config, deps, aws, flushMetrics: runtime.flushMetrics };
};

export { type BenchRuntime, createBenchRuntime };
