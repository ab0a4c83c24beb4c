import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { AwsClients } from '../adapters/aws/createAwsClients.js';
import { DestinationRouter } from '../adapters/aws/DestinationRouter.js';
import { DynamoDbBudgetReservations } from '../adapters/aws/DynamoDbBudgetReservations.js';
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
import type { BatchlaneConfig } from '../config/BatchlaneConfig.js';
import type { BlobStore } from '../ports/BlobStore.js';
import type { CostLedger } from '../ports/CostLedger.js';
import type { ResultDeliverer } from '../ports/ResultDeliverer.js';
import type { RuntimeDeps } from '../usecases/RuntimeDeps.js';
import { createWebhookSecrets } from './createWebhookSecrets.js';

/*
 * The AWS half of the composition root, on clients the caller provides: `createRuntime` builds
 * the handlers' deps from it, and the CLI builds what `replay` and `report` need from it, so
 * each adapter is wired one way only.
 */

/** What decides where and how results are delivered. */
type DeliverySettings = Pick<
  BatchlaneConfig,
  'webhookSecrets' | 'allowPrivateWebhooks' | 'destinationPolicy' | 'region'
>;

/** Builds the Secrets Manager client on first use (only webhook secrets need one here). */
type SecretsClientFactory = () => SecretsManagerClient;

const defaultSecretsClient = (): SecretsClientFactory => {
  let client: SecretsManagerClient | undefined;
  return () => {
    client ??= new SecretsManagerClient({});
    return client;
  };
};

/**
 * The result deliverer: one sender per destination type on the given clients, behind the
 * deployment's allow-list. The handlers deliver through it, and `batchlane replay` resends
 * parked results through the same one. Webhooks are signed with each host's secret, read
 * through `secretsClient` when the deployment keeps them in Secrets Manager.
 */
const createDeliverer = (
  aws: AwsClients,
  blobs: BlobStore,
  settings: DeliverySettings,
  secretsClient: SecretsClientFactory = defaultSecretsClient(),
): ResultDeliverer =>
  new DestinationRouter({
    // Queue URLs rebuilt from their parts, unless the client talks to an emulator.
    sqs: new SqsResultSender({ client: aws.sqs, overflow: blobs }),
    s3: new S3ResultWriter({ client: aws.s3 }),
    eventbridge: new EventBridgeResultPublisher({ client: aws.eventBridge, overflow: blobs }),
    webhook:
      settings.webhookSecrets === null
        ? null
        : new WebhookResultSender({
            secrets: createWebhookSecrets(settings.webhookSecrets, secretsClient),
            allowPrivate: settings.allowPrivateWebhooks,
          }),
    policy: settings.destinationPolicy,
    region: settings.region,
  });

/** The cost ledger on the state table: the handlers record into it, `batchlane report` reads it. */
const createCostLedger = (aws: AwsClients, tableName: string): CostLedger =>
  new DynamoDbCostLedger({ client: aws.documentClient, tableName });

/** Every dep the use cases reach AWS through, built on the given clients. */
type AwsBackedDeps = Pick<
  RuntimeDeps,
  | 'store'
  | 'blobs'
  | 'claimChecks'
  | 'events'
  | 'deliverer'
  | 'completion'
  | 'costs'
  | 'budgets'
  | 'realtime'
  | 'requeue'
>;

/** Every AWS-backed dep of the use cases, from the configuration, on the given clients. */
const createAwsBackedDeps = (
  config: BatchlaneConfig,
  aws: AwsClients,
  secretsClient: SecretsClientFactory = defaultSecretsClient(),
): AwsBackedDeps => {
  const blobs = new S3BlobStore({ client: aws.s3, bucket: config.bucketName });
  return {
    store: new DynamoDbStateStore({
      client: aws.documentClient,
      tableName: config.tableName,
      blobs,
    }),
    blobs,
    claimChecks: new S3ClaimCheckReader({ client: aws.s3, bucket: config.bucketName }),
    events: new EventBridgeEventPublisher({
      client: aws.eventBridge,
      eventBusName: config.eventBusName,
    }),
    deliverer: createDeliverer(aws, blobs, config, secretsClient),
    completion: new SqsCompletionNotifier({ client: aws.sqs, queueUrl: config.completionQueueUrl }),
    costs: createCostLedger(aws, config.tableName),
    budgets: new DynamoDbBudgetReservations({
      client: aws.documentClient,
      tableName: config.tableName,
    }),
    realtime:
      config.realtimeQueueUrl === null
        ? null
        : new SqsRealtimeDispatcher({ client: aws.sqs, queueUrl: config.realtimeQueueUrl }),
    requeue:
      config.intakeQueueUrl === null
        ? null
        : new SqsIntakeRequeuer({ client: aws.sqs, queueUrl: config.intakeQueueUrl }),
  };
};

export {
  type AwsBackedDeps,
  createAwsBackedDeps,
  createCostLedger,
  createDeliverer,
  type DeliverySettings,
};
