import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { observeClientCommands } from '../adapters/aws/awsCommandObserver.js';
import { createAwsClients } from '../adapters/aws/createAwsClients.js';
import { DynamoDbWebhookReceipts } from '../adapters/aws/DynamoDbWebhookReceipts.js';
import { SecretsManagerPushSecrets } from '../adapters/aws/SecretsManagerPushSecrets.js';
import { StaticPushSecrets } from '../adapters/system/StaticPushSecrets.js';
import type { Env } from '../config/loadConfig.js';
import { loadPushSecretsConfig } from '../config/pushConfig.js';
import type { PushSecrets } from '../ports/PushSecrets.js';
import type { WebhookReceiverDeps } from '../usecases/createWebhookReceiver.js';
import { createRuntime, type Runtime } from './createRuntime.js';

/** What the receiver handler holds: the shared runtime, plus its own two ports. */
interface ReceiverRuntime {
  readonly runtime: Runtime;
  readonly deps: WebhookReceiverDeps;
}

/**
 * The webhook receiver's composition root: every function's runtime (providers, state,
 * completion queue), the received-id ledger on the state table, and the providers' webhook
 * secrets from Secrets Manager (deployed) or the configuration (local).
 */
const createReceiverRuntime = async (
  env: Env,
  functionName = 'receiver',
): Promise<ReceiverRuntime> => {
  const aws = createAwsClients(env, { functionName });
  const runtime = await createRuntime(env, functionName, { aws });
  const secretsConfig = loadPushSecretsConfig(env);
  let secretsClient: SecretsManagerClient | undefined;
  const pushSecrets: PushSecrets =
    secretsConfig.source === 'secretsManager'
      ? new SecretsManagerPushSecrets({
          client: () => {
            secretsClient ??= observeClientCommands(
              new SecretsManagerClient({}),
              functionName,
              env['AWS_REGION'] ?? 'us-east-1',
            );
            return secretsClient;
          },
          secretArnsByProvider: secretsConfig.secretArnsByProvider,
        })
      : new StaticPushSecrets(secretsConfig.secretsByProvider);
  const { deps } = runtime;
  return {
    runtime,
    deps: {
      providers: deps.providers,
      store: deps.store,
      completion: deps.completion,
      clock: deps.clock,
      logger: deps.logger,
      pushSecrets,
      receipts: new DynamoDbWebhookReceipts({
        client: aws.documentClient,
        tableName: runtime.config.tableName,
      }),
    },
  };
};

export { createReceiverRuntime, type ReceiverRuntime };
