/**
 * The `webhook-id`s a provider's webhooks have already been received under: deliveries are
 * at-least-once (OpenAI retries for up to 72 h, Gemini for 24 h), and a replayed request
 * carries an id seen before. One conditional write per webhook, forgotten after its TTL.
 */
interface WebhookReceipts {
  /**
   * Records `webhookId` as received from `provider` until `expiresAt` (epoch seconds). True
   * when this call recorded it, false when it was recorded before (a redelivery or replay).
   */
  claim(provider: string, webhookId: string, expiresAt: number): Promise<boolean>;
  /**
   * Forgets a claim whose webhook could not be acted on (the provider's retry must then get
   * through). Forgetting an id never claimed is not an error.
   */
  release(provider: string, webhookId: string): Promise<void>;
}

export type { WebhookReceipts };
