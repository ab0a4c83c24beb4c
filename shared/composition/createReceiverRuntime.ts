import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { observeClientCommands } from '../adapters/aws/awsCommandObserver.js';
import { createAwsClients } from '../adapters/aws/createAwsClients.js';
import { DynamoDbWebhookReceipts } from '../adapters/aws/DynamoDbWebhookReceipts.js';
import { SecretsManagerPushSecrets } from '../adapters/aws/SecretsManagerPushSecrets.js';
import { StaticPushSecrets } from '../adapters/system/StaticPushSecrets.js';
import { ENV } from '../config/BatchlaneConfig.js';
import type { Env } from '../config/loadConfig.js';
import { loadPushSecretsConfig } from '../config/pushConfig.js';
import { isWebhookProvider } from '../contract/providerPush.js';
import { DEFAULT_ENABLED_PROVIDERS } from '../contract/providers.js';
import type { PushSecrets } from '../ports/PushSecrets.js';
import type { WebhookReceiverDeps } from '../usecases/createWebhookReceiver.js';
import { createRuntime, type Runtime } from './createRuntime.js';

/** What the receiver handler holds: the shared runtime, plus its own two ports. */
interface ReceiverRuntime {
  readonly runtime: Runtime;
  readonly deps: WebhookReceiverDeps;
}

/**
 * The receiver's configuration: the deployment's, with only the enabled providers that push
 * webhooks. The receiver reads the batch a webhook names from that provider alone, so no other
 * provider's adapter is built and no other key is ever resolved (its role cannot read them).
 */
const receiverEnv = (env: Env): Env => {
  const enabled = (env[ENV.enabledProviders] ?? DEFAULT_ENABLED_PROVIDERS.join(','))
    .split(',')
    .map((name) => name.trim());
  const receiving = enabled.filter(isWebhookProvider);
  // With none, the configuration's own check answers (the stack makes no receiver then).
  return receiving.length === 0 ? env : { ...env, [ENV.enabledProviders]: receiving.join(',') };
};

/**
 * The webhook receiver's composition root: every function's runtime (the webhook providers,
 * state, completion queue), the received-id ledger on the state table, and the providers' webhook
 * secrets from Secrets Manager (deployed) or the configuration (local).
 */
const createReceiverRuntime = async (
  env: Env,
  functionName = 'receiver',
): Promise<ReceiverRuntime> => {
  const aws = createAwsClients(env, { functionName });
  const runtime = await createRuntime(receiverEnv(env), functionName, { aws });
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
