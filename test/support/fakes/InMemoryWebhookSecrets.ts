import type { BatchlaneError } from '../../../shared/domain/errors.js';
import { noSecretFor, webhookHostOf } from '../../../shared/domain/webhookSecrets.js';
import type { WebhookSecrets } from '../../../shared/ports/WebhookSecrets.js';

/**
 * {@link WebhookSecrets} in memory: per host (lower case, no port), the live secrets newest
 * first. Unlike the configuration-backed one, secrets can be rotated while it runs
 * (`rotate`), and reads can be made to fail as an unreachable store would (`failWith`).
 */
class InMemoryWebhookSecrets implements WebhookSecrets {
  readonly #byHost = new Map<string, readonly string[]>();
  #failure: BatchlaneError | null = null;

  constructor(secretsByHost: Readonly<Record<string, readonly string[]>> = {}) {
    for (const [host, secrets] of Object.entries(secretsByHost)) this.set(host, secrets);
  }

  async secretsFor(url: URL): Promise<readonly string[]> {
    if (this.#failure !== null) throw this.#failure;
    const host = webhookHostOf(url);
    const secrets = this.#byHost.get(host);
    if (secrets === undefined || secrets.length === 0) throw noSecretFor(host);
    return [...secrets];
  }

  /** Sets a host's live secrets, newest first (none: the host has no secret). */
  set(host: string, secrets: readonly string[]): void {
    this.#byHost.set(host.toLowerCase(), [...secrets]);
  }

  /** Starts a rotation: `next` signs first, the current newest still signs too. */
  rotate(host: string, next: string): void {
    const current = this.#byHost.get(host.toLowerCase())?.[0];
    this.set(host, current === undefined ? [next] : [next, current]);
  }

  /** Every read rejects with `error` until called again with null. */
  failWith(error: BatchlaneError | null): void {
    this.#failure = error;
  }
}

export { InMemoryWebhookSecrets };
