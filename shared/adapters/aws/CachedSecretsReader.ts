import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { parseWebhookSecretValue } from '../../domain/webhookSecrets.js';
import { translateAwsError } from './translateAwsError.js';

interface CachedSecretsReaderOptions {
  /** Built on first use: a function that never signs or verifies never creates it. */
  readonly client: () => SecretsManagerClient;
  /**
   * How long a read is used before the secret is read again (default 5 minutes): a rotation
   * step reaches every execution environment within this time.
   */
  readonly ttlMs?: number;
  readonly now?: () => number;
}

interface Cached {
  readonly secrets: Promise<readonly string[]>;
  readonly expiresAt: number;
}

/**
 * Standard Webhooks secrets read from Secrets Manager by ARN, each at most once per `ttlMs`
 * per execution environment. A secret holds `whsec_…`, or `{"current": "whsec_…",
 * "previous": "whsec_…"}` while a rotation is under way. Shared by the secrets batchlane
 * signs its deliveries with and those it verifies providers' webhooks with.
 */
class CachedSecretsReader {
  readonly #client: () => SecretsManagerClient;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #cache = new Map<string, Cached>();

  constructor(options: CachedSecretsReaderOptions) {
    this.#client = options.client;
    this.#ttlMs = options.ttlMs ?? 5 * 60_000;
    this.#now = options.now ?? Date.now;
  }

  /** The live secrets of `arn`, current first. */
  read(arn: string): Promise<readonly string[]> {
    const now = this.#now();
    const cached = this.#cache.get(arn);
    if (cached !== undefined && cached.expiresAt > now) return cached.secrets;
    const secrets = this.#fetch(arn);
    // A failed read is not kept: the next delivery (or the provider's retry) reads again.
    secrets.catch(() => {
      if (this.#cache.get(arn)?.secrets === secrets) this.#cache.delete(arn);
    });
    this.#cache.set(arn, { secrets, expiresAt: now + this.#ttlMs });
    return secrets;
  }

  async #fetch(arn: string): Promise<readonly string[]> {
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

export { CachedSecretsReader, type CachedSecretsReaderOptions };
