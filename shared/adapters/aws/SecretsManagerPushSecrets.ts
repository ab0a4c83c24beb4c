import type { WebhookProvider } from '../../contract/providerPush.js';
import { noPushSecretFor } from '../../domain/pushSecrets.js';
import type { PushSecrets } from '../../ports/PushSecrets.js';
import { CachedSecretsReader, type CachedSecretsReaderOptions } from './CachedSecretsReader.js';

interface SecretsManagerPushSecretsOptions extends CachedSecretsReaderOptions {
  /** The secret (ARN) of each provider's webhook endpoint (`BATCHLANE_PUSH_SECRET_ARNS`). */
  readonly secretArnsByProvider: Readonly<Partial<Record<WebhookProvider, string>>>;
}

/**
 * Providers' webhook signing secrets from Secrets Manager, one secret per provider (see
 * `CachedSecretsReader` for what a secret holds and how long a read is used).
 */
class SecretsManagerPushSecrets implements PushSecrets {
  readonly #reader: CachedSecretsReader;
  readonly #arns: Readonly<Partial<Record<WebhookProvider, string>>>;

  constructor(options: SecretsManagerPushSecretsOptions) {
    this.#reader = new CachedSecretsReader(options);
    this.#arns = options.secretArnsByProvider;
  }

  secretsFor(provider: WebhookProvider): Promise<readonly string[]> {
    const arn = this.#arns[provider];
    if (arn === undefined) return Promise.reject(noPushSecretFor(provider));
    return this.#reader.read(arn);
  }
}

export { SecretsManagerPushSecrets, type SecretsManagerPushSecretsOptions };
