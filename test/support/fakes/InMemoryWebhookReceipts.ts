import type { WebhookReceipts } from '../../../shared/ports/WebhookReceipts.js';

/** `WebhookReceipts` in memory, forgetting a claim once its TTL has passed on `nowSeconds`. */
class InMemoryWebhookReceipts implements WebhookReceipts {
  readonly #claims = new Map<string, number>();
  readonly #nowSeconds: () => number;

  constructor(nowSeconds: () => number = () => Math.floor(Date.now() / 1000)) {
    this.#nowSeconds = nowSeconds;
  }

  async claim(provider: string, webhookId: string, expiresAt: number): Promise<boolean> {
    const key = `${provider}#${webhookId}`;
    const held = this.#claims.get(key);
    if (held !== undefined && held > this.#nowSeconds()) return false;
    this.#claims.set(key, expiresAt);
    return true;
  }

  async release(provider: string, webhookId: string): Promise<void> {
    this.#claims.delete(`${provider}#${webhookId}`);
  }
}

export { InMemoryWebhookReceipts };
