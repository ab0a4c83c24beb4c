import { Webhook } from 'standardwebhooks';
import { geminiStateOf } from './handleGemini.js';
import { openaiTimeline } from './openaiBatchView.js';
import type { SimContext } from './SimContext.js';
import { hashId } from './seededRandom.js';

/** Where one provider's project webhook points, and the secret it signs with (`whsec_…`). */
interface WebhookTarget {
  readonly url: string;
  readonly secret: string;
}

type WebhookTargets = Partial<Record<'openai' | 'gemini', WebhookTarget>>;

/** How the simulated providers deliver: faults to exercise a receiver's defences. */
interface WebhookDeliveryFaults {
  /** Deliver each webhook this many times (the same `webhook-id`): at-least-once delivery. */
  readonly copies?: number;
}

interface WebhookStats {
  /** Deliveries answered 2xx, by provider. */
  readonly delivered: Record<'openai' | 'gemini', number>;
  /** Deliveries that failed (network error or non-2xx); each is tried again. */
  readonly failed: number;
  /** When each batch's end was first announced (epoch ms, real time), by provider batch id. */
  readonly announcedAt: ReadonlyMap<string, number>;
}

const OPENAI_TYPES: Record<string, string> = {
  completed: 'batch.completed',
  failed: 'batch.failed',
  expired: 'batch.expired',
  cancelled: 'batch.cancelled',
};
const GEMINI_TYPES: Record<string, string> = {
  BATCH_STATE_SUCCEEDED: 'batch.succeeded',
  BATCH_STATE_FAILED: 'batch.failed',
  BATCH_STATE_EXPIRED: 'batch.expired',
  BATCH_STATE_CANCELLED: 'batch.cancelled',
};

/** Retries of a failed delivery, and the first wait (doubling), as providers back off. */
const MAX_TRIES = 6;
const FIRST_RETRY_MS = 200;

/**
 * The providers' batch webhooks, as OpenAI and Gemini (static, project-level endpoints) send
 * them: when a batch reaches a terminal state, a Standard Webhooks signed POST of a thin event
 * (`{type, data: {id}}`) to the project's endpoint, retried with backoff until answered 2xx.
 * Batch state is a function of simulated time, so a ticker looks for batches that ended.
 */
class WebhookEmitter {
  readonly #ctx: SimContext;
  #targets: WebhookTargets = {};
  #faults: WebhookDeliveryFaults = {};
  readonly #announced = new Map<string, number>();
  readonly #delivered = { openai: 0, gemini: 0 };
  #failed = 0;
  readonly #ticker: NodeJS.Timeout;
  readonly #inFlight = new Set<Promise<void>>();

  constructor(ctx: SimContext) {
    this.#ctx = ctx;
    this.#ticker = setInterval(() => this.#scan(), 50);
    this.#ticker.unref();
  }

  /** Points the providers' webhooks somewhere (none: batches end silently, as by default). */
  setTargets(targets: WebhookTargets, faults: WebhookDeliveryFaults = {}): void {
    this.#targets = targets;
    this.#faults = faults;
  }

  stats(): WebhookStats {
    return {
      delivered: { ...this.#delivered },
      failed: this.#failed,
      announcedAt: new Map(this.#announced),
    };
  }

  async stop(): Promise<void> {
    clearInterval(this.#ticker);
    await Promise.allSettled([...this.#inFlight]);
  }

  #scan(): void {
    const now = this.#ctx.clock.now();
    const openai = this.#targets.openai;
    if (openai !== undefined) {
      for (const record of this.#ctx.store.openaiBatches.values()) {
        if (this.#announced.has(record.id)) continue;
        const type = OPENAI_TYPES[openaiTimeline(record, now).status];
        if (type === undefined) continue;
        this.#announce('openai', openai, record.id, {
          id: `evt_${hashId(24, this.#ctx.seed, 'evt', record.id)}`,
          object: 'event',
          created_at: Math.floor(Date.now() / 1000),
          type,
          data: { id: record.id },
        });
      }
    }
    const gemini = this.#targets.gemini;
    if (gemini !== undefined) {
      for (const record of this.#ctx.store.geminiBatches.values()) {
        const name = `batches/${record.id}`;
        if (record.deleted || this.#announced.has(name)) continue;
        const type = GEMINI_TYPES[geminiStateOf(this.#ctx, record, now).state];
        if (type === undefined) continue;
        this.#announce('gemini', gemini, name, {
          type,
          version: 'v1',
          timestamp: new Date().toISOString(),
          data: { id: name },
        });
      }
    }
  }

  #announce(
    provider: 'openai' | 'gemini',
    target: WebhookTarget,
    batchId: string,
    event: unknown,
  ): void {
    this.#announced.set(batchId, Date.now());
    const webhookId = `wh_${hashId(24, this.#ctx.seed, 'webhook', provider, batchId)}`;
    const body = JSON.stringify(event);
    const copies = Math.max(1, this.#faults.copies ?? 1);
    for (let copy = 0; copy < copies; copy += 1) {
      const delivery = this.#deliver(provider, target, webhookId, body).finally(() =>
        this.#inFlight.delete(delivery),
      );
      this.#inFlight.add(delivery);
    }
  }

  async #deliver(
    provider: 'openai' | 'gemini',
    target: WebhookTarget,
    webhookId: string,
    body: string,
  ): Promise<void> {
    for (let attempt = 1; attempt <= MAX_TRIES; attempt += 1) {
      // Each try is signed afresh, with its own timestamp, under the same id.
      const at = new Date();
      try {
        const response = await fetch(target.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': `batchlane-simulator (${provider} webhooks)`,
            'webhook-id': webhookId,
            'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
            'webhook-signature': new Webhook(target.secret).sign(webhookId, at, body),
          },
          body,
          signal: AbortSignal.timeout(10_000),
        });
        await response.arrayBuffer();
        if (response.ok) {
          this.#delivered[provider] += 1;
          return;
        }
      } catch {
        // Unreachable receiver: tried again below.
      }
      this.#failed += 1;
      await new Promise((resolve) => setTimeout(resolve, FIRST_RETRY_MS * 2 ** (attempt - 1)));
    }
  }
}

export { type WebhookDeliveryFaults, WebhookEmitter, type WebhookStats, type WebhookTargets };
