import type { WebhookProvider } from '../contract/providerPush.js';

/** Where the secrets that providers sign their batch webhooks with come from. */
interface PushSecrets {
  /**
   * The live Standard Webhooks secrets (`whsec_…`) of `provider`'s webhook endpoint: one, or
   * two during a rotation (the newest first); a webhook signed by either is genuine. Rejects
   * with an `InvalidInputError` (`push_secret_missing`) when none is configured, or with the
   * store's error translated (retryable when reading may succeed later).
   */
  secretsFor(provider: WebhookProvider): Promise<readonly string[]>;
}

export type { PushSecrets };
