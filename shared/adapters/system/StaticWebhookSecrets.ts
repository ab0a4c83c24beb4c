import {
  noSecretFor,
  type WebhookSecretsByHost,
  webhookHostOf,
} from '../../domain/webhookSecrets.js';
import type { WebhookSecrets } from '../../ports/WebhookSecrets.js';

/**
 * Webhook signing secrets given in the configuration (`BATCHLANE_WEBHOOK_SECRETS`): for the
 * local stack and tests, where no Secrets Manager runs. Deployed stacks use
 * `SecretsManagerWebhookSecrets`.
 */
class StaticWebhookSecrets implements WebhookSecrets {
  readonly #byHost: ReadonlyMap<string, readonly string[]>;

  constructor(secretsByHost: WebhookSecretsByHost) {
    this.#byHost = new Map(
      Object.entries(secretsByHost).map(([host, secrets]) => [host.toLowerCase(), secrets]),
    );
  }

  secretsFor(url: URL): Promise<readonly string[]> {
    const host = webhookHostOf(url);
    const secrets = this.#byHost.get(host);
    return secrets === undefined || secrets.length === 0
      ? Promise.reject(noSecretFor(host))
      : Promise.resolve(secrets);
  }
}

export { StaticWebhookSecrets };
