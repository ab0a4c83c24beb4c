import type { WebhookProvider } from '../../../shared/contract/providerPush.js';
import type { BatchlaneError } from '../../../shared/domain/errors.js';
import { noPushSecretFor } from '../../../shared/domain/pushSecrets.js';
import type { PushSecrets } from '../../../shared/ports/PushSecrets.js';

/**
 * {@link PushSecrets} in memory: per webhook provider, the live secrets of its endpoint,
 * newest first. Unlike the configuration-backed one, secrets can be rotated while it runs
 * (`rotate`, as the provider does when its endpoint's secret is rolled), and reads can be made
 * to fail as an unreachable store would (`failWith`).
 */
class InMemoryPushSecrets implements PushSecrets {
  readonly #byProvider = new Map<WebhookProvider, readonly string[]>();
  #failure: BatchlaneError | null = null;

  constructor(secrets: Readonly<Partial<Record<WebhookProvider, readonly string[]>>> = {}) {
    for (const [provider, live] of Object.entries(secrets)) {
      this.set(provider as WebhookProvider, live);
    }
  }

  async secretsFor(provider: WebhookProvider): Promise<readonly string[]> {
    if (this.#failure !== null) throw this.#failure;
    const secrets = this.#byProvider.get(provider);
    if (secrets === undefined || secrets.length === 0) throw noPushSecretFor(provider);
    return [...secrets];
  }

  /** Sets a provider's live secrets, newest first (none: it has no secret). */
  set(provider: WebhookProvider, secrets: readonly string[]): void {
    this.#byProvider.set(provider, [...secrets]);
  }

  /** Starts a rotation: `next` is the newest, the current newest still verifies too. */
  rotate(provider: WebhookProvider, next: string): void {
    const current = this.#byProvider.get(provider)?.[0];
    this.set(provider, current === undefined ? [next] : [next, current]);
  }

  /** Every read rejects with `error` until called again with null. */
  failWith(error: BatchlaneError | null): void {
    this.#failure = error;
  }
}

export { InMemoryPushSecrets };
