import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { WebhookProvider } from '../../contract/providerPush.js';
import { noPushSecretFor } from '../../domain/pushSecrets.js';
import { parseWebhookSecretValue } from '../../domain/webhookSecrets.js';
import type { PushSecrets } from '../../ports/PushSecrets.js';
import { translateAwsError } from './translateAwsError.js';

interface SecretsManagerPushSecretsOptions {
  /** Built on first use. */
  readonly client: () => SecretsManagerClient;
  /** The secret (ARN) of each provider's webhook endpoint (`BATCHLANE_PUSH_SECRET_ARNS`). */
  readonly secretArnsByProvider: Readonly<Partial<Record<WebhookProvider, string>>>;
  /**
   * How long a read is used before the secret is read again (default 5 minutes): a rotation
   * step reaches every execution environment within this time.
   */
  readonly ttlMs?: number;
  readonly now?: () => number;
}

/**
 * Providers' webhook signing secrets from Secrets Manager, one secret per provider, each read
 * at most once per `ttlMs` per execution environment. The secret holds `whsec_…`, or
 * `{"current": "whsec_…", "previous": "whsec_…"}` while a rotation is under way.
 */
class SecretsManagerPushSecrets implements PushSecrets {
  readonly #client: () => SecretsManagerClient;
  readonly #arns: Readonly<Partial<Record<WebhookProvider, string>>>;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #cache = new Map<string, { secrets: Promise<readonly string[]>; expiresAt: number }>();

  constructor(options: SecretsManagerPushSecretsOptions) {
    this.#client = options.client;
    this.#arns = options.secretArnsByProvider;
    this.#ttlMs = options.ttlMs ?? 5 * 60_000;
    this.#now = options.now ?? Date.now;
  }

  secretsFor(provider: WebhookProvider): Promise<readonly string[]> {
    const arn = this.#arns[provider];
    if (arn === undefined) return Promise.reject(noPushSecretFor(provider));
    const now = this.#now();
    const cached = this.#cache.get(arn);
    if (cached !== undefined && cached.expiresAt > now) return cached.secrets;
    const secrets = this.#read(arn);
    // A failed read is not kept: the provider's retry reads again.
    secrets.catch(() => {
      if (this.#cache.get(arn)?.secrets === secrets) this.#cache.delete(arn);
    });
    this.#cache.set(arn, { secrets, expiresAt: now + this.#ttlMs });
    return secrets;
  }

  async #read(arn: string): Promise<readonly string[]> {
    let value: string | undefined;
    try {
      value = (await this.#client().send(new GetSecretValueCommand({ SecretId: arn })))
        .SecretString;
    } catch (error) {
      throw translateAwsError(error, { operation: 'GetSecretValue', resource: arn });
    }
    return parseWebhookSecretValue(value ?? '', arn);
  }
}

export { SecretsManagerPushSecrets, type SecretsManagerPushSecretsOptions };
