/** Where webhook signing secrets come from (Secrets Manager deployed, configuration locally). */
interface WebhookSecrets {
  /**
   * The live Standard Webhooks secrets (`whsec_…`) for deliveries to `url`'s host: one, or two
   * during a rotation (the newest first), every one of which signs each delivery. Rejects with
   * an `InvalidInputError` (`webhook_secret_missing`) when the host has none, or with the
   * store's error translated (retryable when reading may succeed later).
   */
  secretsFor(url: URL): Promise<readonly string[]>;
}

export type { WebhookSecrets };
