import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/** Posts a Standard Webhooks signed event to a receiver, as a provider (or a forger) would. */
const postWebhook = async (
  url: string,
  secret: string,
  event: unknown,
  options: { readonly id?: string; readonly at?: Date } = {},
): Promise<{ status: number; code: string }> => {
  const body = JSON.stringify(event);
  const id = options.id ?? `wh_${randomBytes(8).toString('hex')}`;
  const at = options.at ?? new Date();
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': new Webhook(secret).sign(id, at, body),
    },
    body,
  });
  const answer = (await response.json().catch(() => ({}))) as { code?: string };
  return { status: response.status, code: answer.code ?? '' };
};

/** The webhook a provider sends when a batch has ended (OpenAI's or Gemini's shape). */
const batchEndedEvent = (provider: 'openai' | 'gemini', providerBatchId: string) =>
  provider === 'openai'
    ? {
        id: `evt_${randomBytes(6).toString('hex')}`,
        object: 'event',
        created_at: Math.floor(Date.now() / 1000),
        type: 'batch.completed',
        data: { id: providerBatchId },
      }
    : {
        type: 'batch.succeeded',
        version: 'v1',
        timestamp: new Date().toISOString(),
        data: { id: providerBatchId },
      };

export { batchEndedEvent, postWebhook };
