import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  noSecretFor,
  parseWebhookSecretValue,
  webhookHostOf,
} from '../../domain/webhookSecrets.js';
import type { WebhookSecrets } from '../../ports/WebhookSecrets.js';
import { translateAwsError } from './translateAwsError.js';

interface SecretsManagerWebhookSecretsOptions {
  /** Built on first use: a function that never delivers to a webhook never creates it. */
  readonly client: () => SecretsManagerClient;
  /** The secret (ARN) of each webhook host (`BATCHLANE_WEBHOOK_SECRET_ARNS`). */
  readonly secretArnsByHost: Readonly<Record<string, string>>;
  /**
   * How long a secret read is used before it is read again (default 5 minutes): a rotation
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
 * Webhook signing secrets from Secrets Manager, one secret per receiving host, each read at
 * most once per `ttlMs` per execution environment. The secret holds `whsec_…`, or
 * `{"current": "whsec_…", "previous": "whsec_…"}` while a rotation is under way.
 */
class SecretsManagerWebhookSecrets implements WebhookSecrets {
  readonly #client: () => SecretsManagerClient;
  readonly #arns: ReadonlyMap<string, string>;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #cache = new Map<string, Cached>();

  constructor(options: SecretsManagerWebhookSecretsOptions) {
    this.#client = options.client;
    this.#arns = new Map(
      Object.entries(options.secretArnsByHost).map(([host, arn]) => [host.toLowerCase(), arn]),
    );
    this.#ttlMs = options.ttlMs ?? 5 * 60_000;
    this.#now = options.now ?? Date.now;
  }

  secretsFor(url: URL): Promise<readonly string[]> {
    const host = webhookHostOf(url);
    const arn = this.#arns.get(host);
    if (arn === undefined) return Promise.reject(noSecretFor(host));
    const now = this.#now();
    const cached = this.#cache.get(arn);
    if (cached !== undefined && cached.expiresAt > now) return cached.secrets;
    const secrets = this.#read(arn);
    // A failed read is not kept: the next delivery tries again.
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

export { SecretsManagerWebhookSecrets, type SecretsManagerWebhookSecretsOptions };
