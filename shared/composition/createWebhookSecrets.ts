import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretsManagerWebhookSecrets } from '../adapters/aws/SecretsManagerWebhookSecrets.js';
import { StaticWebhookSecrets } from '../adapters/system/StaticWebhookSecrets.js';
import type { WebhookSecretsConfig } from '../config/BatchlaneConfig.js';
import type { WebhookSecrets } from '../ports/WebhookSecrets.js';

/** The webhook secrets adapter the configuration names. */
const createWebhookSecrets = (
  config: WebhookSecretsConfig,
  client: () => SecretsManagerClient,
): WebhookSecrets =>
  config.source === 'secretsManager'
    ? new SecretsManagerWebhookSecrets({ client, secretArnsByHost: config.secretArnsByHost })
    : new StaticWebhookSecrets(config.secretsByHost);

export { createWebhookSecrets };
