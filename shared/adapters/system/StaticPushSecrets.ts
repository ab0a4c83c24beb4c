import type { WebhookProvider } from '../../contract/providerPush.js';
import { noPushSecretFor } from '../../domain/pushSecrets.js';
import type { PushSecrets } from '../../ports/PushSecrets.js';

/** Secrets given in the configuration (`BATCHLANE_PUSH_SECRETS`): the local stack and tests. */
class StaticPushSecrets implements PushSecrets {
  readonly #secrets: Readonly<Partial<Record<WebhookProvider, readonly string[]>>>;

  constructor(secrets: Readonly<Partial<Record<WebhookProvider, readonly string[]>>>) {
    this.#secrets = secrets;
  }

  secretsFor(provider: WebhookProvider): Promise<readonly string[]> {
    const secrets = this.#secrets[provider];
    return secrets === undefined || secrets.length === 0
      ? Promise.reject(noPushSecretFor(provider))
      : Promise.resolve(secrets);
  }
}

export { StaticPushSecrets };
