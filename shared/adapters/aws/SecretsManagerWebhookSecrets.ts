import { noSecretFor, webhookHostOf } from '../../domain/webhookSecrets.js';
import type { WebhookSecrets } from '../../ports/WebhookSecrets.js';
import { CachedSecretsReader, type CachedSecretsReaderOptions } from './CachedSecretsReader.js';

interface SecretsManagerWebhookSecretsOptions extends CachedSecretsReaderOptions {
  /** The secret (ARN) of each webhook host (`BATCHLANE_WEBHOOK_SECRET_ARNS`). */
  readonly secretArnsByHost: Readonly<Record<string, string>>;
}

/**
 * Webhook signing secrets from Secrets Manager, one secret per receiving host (see
 * `CachedSecretsReader` for what a secret holds and how long a read is used).
 */
class SecretsManagerWebhookSecrets implements WebhookSecrets {
  readonly #reader: CachedSecretsReader;
  readonly #arns: ReadonlyMap<string, string>;

  constructor(options: SecretsManagerWebhookSecretsOptions) {
    this.#reader = new CachedSecretsReader(options);
    this.#arns = new Map(
      Object.entries(options.secretArnsByHost).map(([host, arn]) => [host.toLowerCase(), arn]),
    );
  }

  secretsFor(url: URL): Promise<readonly string[]> {
    const host = webhookHostOf(url);
    const arn = this.#arns.get(host);
    if (arn === undefined) return Promise.reject(noSecretFor(host));
    return this.#reader.read(arn);
  }
}

export { SecretsManagerWebhookSecrets, type SecretsManagerWebhookSecretsOptions };
