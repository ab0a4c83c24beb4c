import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { beforeEach, describe, expect, it } from 'vitest';
import { StaticPushSecrets } from '../../../shared/adapters/system/StaticPushSecrets.js';
import { NotFoundError, UnavailableError } from '../../../shared/domain/errors.js';
import { newBatchRecord } from '../../../shared/domain/newBatchRecord.js';
import type { BatchRecord } from '../../../shared/domain/records.js';
import type { BatchProvider, ProviderBatchSnapshot } from '../../../shared/ports/BatchProvider.js';
import { silentLogger } from '../../../shared/ports/Logger.js';
import {
  createWebhookReceiver,
  type WebhookReceiverDeps,
} from '../../../shared/usecases/createWebhookReceiver.js';
import { InMemoryWebhookReceipts } from '../../support/fakes/InMemoryWebhookReceipts.js';

const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;
const OPENAI_SECRET = newSecret();
const OPENAI_PREVIOUS = newSecret();
const GEMINI_SECRET = newSecret();

/** A provider that knows some batches (by provider id) and the batchlane id each carries. */
const fakeProvider = (
  name: 'openai' | 'gemini',
  batches: Map<string, Partial<ProviderBatchSnapshot>>,
): BatchProvider => {
  const unused = () => Promise.reject(new Error('not used by the receiver'));
  return {
    name,
    submit: unused,
    cancel: unused,
    openResults: unused,
    retrieve: async (providerBatchId) => {
      const known = batches.get(providerBatchId);
      if (known === undefined) throw new NotFoundError('no such batch', { code: 'not_found' });
      return {
        providerBatchId,
        phase: 'ended',
        providerStatus: 'completed',
        expiresAt: null,
        endedAt: null,
        failure: null,
        resultRefs: [],
        ...known,
      };
    },
  };
};

interface Signed {
  readonly headers: Record<string, string>;
  readonly body: string;
}

const sign = (secret: string, event: unknown, options: { id?: string; at?: Date } = {}): Signed => {
  const body = JSON.stringify(event);
  const id = options.id ?? `wh_${randomBytes(8).toString('hex')}`;
  const at = options.at ?? new Date();
  return {
    body,
    headers: {
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': new Webhook(secret).sign(id, at, body),
    },
  };
};

const openaiEvent = (batchId: string, type = 'batch.completed') => ({
  id: `evt_${randomBytes(6).toString('hex')}`,
  object: 'event',
  created_at: Math.floor(Date.now() / 1000),
  type,
  data: { id: batchId },
});

describe('the webhook receiver', () => {
  let batches: Map<string, BatchRecord>;
  let openaiBatches: Map<string, Partial<ProviderBatchSnapshot>>;
  let geminiBatches: Map<string, Partial<ProviderBatchSnapshot>>;
  let notified: string[];
  let failNotify: boolean;
  let receipts: InMemoryWebhookReceipts;
  let deps: WebhookReceiverDeps;

  const submitted = (batchId: string, provider: 'openai' | 'gemini', providerBatchId: string) => {
    batches.set(batchId, {
      ...newBatchRecord({
        batchId,
        provider,
        endpoint: provider === 'openai' ? '/v1/chat/completions' : 'generateContent',
        models: ['m'],
        state: 'submitted',
        createdAt: new Date().toISOString(),
        nextPollAt: new Date().toISOString(),
      }),
      providerBatchId,
    });
  };

  beforeEach(() => {
    batches = new Map();
    openaiBatches = new Map([['batch_1', { batchId: 'bl_1' }]]);
    geminiBatches = new Map([['batches/g1', { batchId: 'bl_g1' }]]);
    submitted('bl_1', 'openai', 'batch_1');
    submitted('bl_g1', 'gemini', 'batches/g1');
    notified = [];
    failNotify = false;
    receipts = new InMemoryWebhookReceipts();
    deps = {
      providers: {
        openai: fakeProvider('openai', openaiBatches),
        gemini: fakeProvider('gemini', geminiBatches),
      },
      store: { getBatch: async (id) => batches.get(id) ?? null },
      completion: {
        notifyEnded: async (id) => {
          if (failNotify) throw new UnavailableError('queue down', { code: 'unavailable' });
          notified.push(id);
        },
      },
      pushSecrets: new StaticPushSecrets({
        openai: [OPENAI_SECRET, OPENAI_PREVIOUS],
        gemini: [GEMINI_SECRET],
      }),
      receipts,
      clock: { now: () => new Date() },
      logger: silentLogger,
    };
  });

  const receive = (provider: string, signed: Signed) =>
    createWebhookReceiver(deps)({ provider, ...signed });

  it('hands a verified end of an OpenAI batch to completion at once', async () => {
    const outcome = await receive('openai', sign(OPENAI_SECRET, openaiEvent('batch_1')));
    expect(outcome).toEqual({ status: 202, code: 'handed_to_completion', batchId: 'bl_1' });
    expect(notified).toEqual(['bl_1']);
  });

  it('accepts a webhook signed with the previous secret during a rotation', async () => {
    const outcome = await receive('openai', sign(OPENAI_PREVIOUS, openaiEvent('batch_1')));
    expect(outcome.code).toBe('handed_to_completion');
  });

  it('hands over a Gemini batch, whether the event names it batches/<id> or <id>', async () => {
    const event = (id: string) => ({
      type: 'batch.succeeded',
      version: 'v1',
      timestamp: new Date().toISOString(),
      data: { id },
    });
    expect((await receive('gemini', sign(GEMINI_SECRET, event('batches/g1')))).code).toBe(
      'handed_to_completion',
    );
    expect((await receive('gemini', sign(GEMINI_SECRET, event('g1')))).code).toBe(
      'handed_to_completion',
    );
    expect(notified).toEqual(['bl_g1', 'bl_g1']);
  });

  it('refuses a webhook signed with a wrong secret (a forgery), and remembers nothing', async () => {
    const forged = sign(newSecret(), openaiEvent('batch_1'), { id: 'wh_forged' });
    expect(await receive('openai', forged)).toEqual({ status: 401, code: 'invalid_signature' });
    // Another provider's secret is a wrong secret too.
    const crossed = sign(GEMINI_SECRET, openaiEvent('batch_1'));
    expect((await receive('openai', crossed)).code).toBe('invalid_signature');
    expect(notified).toEqual([]);
    // The forged id was not claimed: the genuine delivery with that id still gets through.
    const genuine = sign(OPENAI_SECRET, openaiEvent('batch_1'), { id: 'wh_forged' });
    expect((await receive('openai', genuine)).code).toBe('handed_to_completion');
  });

  it('refuses a body altered after signing', async () => {
    const signed = sign(OPENAI_SECRET, openaiEvent('batch_1'));
    const altered = { ...signed, body: signed.body.replace('batch_1', 'batch_2') };
    expect((await receive('openai', altered)).code).toBe('invalid_signature');
  });

  it('refuses a stale timestamp, and one too far in the future', async () => {
    const old = sign(OPENAI_SECRET, openaiEvent('batch_1'), {
      at: new Date(Date.now() - 10 * 60_000),
    });
    expect(await receive('openai', old)).toEqual({ status: 401, code: 'stale_timestamp' });
    const future = sign(OPENAI_SECRET, openaiEvent('batch_1'), {
      at: new Date(Date.now() + 10 * 60_000),
    });
    expect((await receive('openai', future)).code).toBe('stale_timestamp');
    expect(notified).toEqual([]);
  });

  it('drops a replayed webhook-id: the batch is handed over once', async () => {
    const first = sign(OPENAI_SECRET, openaiEvent('batch_1'), { id: 'wh_twice' });
    // The provider's retry: same id, new timestamp and signature.
    const again = sign(OPENAI_SECRET, openaiEvent('batch_1'), { id: 'wh_twice' });
    expect((await receive('openai', first)).code).toBe('handed_to_completion');
    expect(await receive('openai', first)).toEqual({ status: 200, code: 'duplicate' });
    expect((await receive('openai', again)).code).toBe('duplicate');
    expect(notified).toEqual(['bl_1']);
  });

  it('acknowledges and drops an event about a batch that is not batchlane’s', async () => {
    // Unknown to the provider.
    expect(await receive('openai', sign(OPENAI_SECRET, openaiEvent('batch_nope')))).toEqual({
      status: 200,
      code: 'unknown_batch',
    });
    // Known to the provider, without a batchlane id (another application's batch).
    openaiBatches.set('batch_other', { batchId: null });
    expect((await receive('openai', sign(OPENAI_SECRET, openaiEvent('batch_other')))).code).toBe(
      'unknown_batch',
    );
    // Claims a batchlane id whose batch is another provider batch (an earlier submission).
    openaiBatches.set('batch_old', { batchId: 'bl_1' });
    expect((await receive('openai', sign(OPENAI_SECRET, openaiEvent('batch_old')))).code).toBe(
      'unknown_batch',
    );
    // Claims a batchlane id the state does not hold.
    openaiBatches.set('batch_ghost', { batchId: 'bl_ghost' });
    expect((await receive('openai', sign(OPENAI_SECRET, openaiEvent('batch_ghost')))).code).toBe(
      'unknown_batch',
    );
    expect(notified).toEqual([]);
  });

  it('does not act on what the provider does not confirm, nor on a completed batch', async () => {
    openaiBatches.set('batch_1', {
      batchId: 'bl_1',
      phase: 'running',
      providerStatus: 'finalizing',
    });
    expect((await receive('openai', sign(OPENAI_SECRET, openaiEvent('batch_1')))).code).toBe(
      'not_ended',
    );
    openaiBatches.set('batch_1', { batchId: 'bl_1' });
    batches.set('bl_1', { ...batches.get('bl_1')!, state: 'completed' });
    expect((await receive('openai', sign(OPENAI_SECRET, openaiEvent('batch_1')))).code).toBe(
      'already_completed',
    );
    expect(notified).toEqual([]);
  });

  it('ignores event types that are not a batch end, without remembering their id', async () => {
    const other = sign(OPENAI_SECRET, openaiEvent('batch_1', 'response.completed'), { id: 'wh_x' });
    expect(await receive('openai', other)).toEqual({ status: 200, code: 'ignored_event_type' });
    expect(await receipts.claim('openai', 'wh_x', 2_000_000_000)).toBe(true);
  });

  it('refuses malformed requests with their own codes', async () => {
    const signed = sign(OPENAI_SECRET, openaiEvent('batch_1'));
    const { 'webhook-signature': _dropped, ...unsigned } = signed.headers;
    expect(await receive('openai', { ...signed, headers: unsigned })).toEqual({
      status: 400,
      code: 'missing_headers',
    });
    expect((await receive('openai', sign(OPENAI_SECRET, { type: 'batch.completed' }))).code).toBe(
      'malformed_event',
    );
    // Signed, but a JSON string rather than an event; and signed text that is not JSON.
    expect((await receive('openai', sign(OPENAI_SECRET, 'batch_1'))).code).toBe('malformed_event');
    const at = new Date();
    const text = 'not json';
    const notJson = {
      body: text,
      headers: {
        'webhook-id': 'wh_text',
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature': new Webhook(OPENAI_SECRET).sign('wh_text', at, text),
      },
    };
    expect(await receive('openai', notJson)).toEqual({ status: 400, code: 'malformed_event' });
    expect((await receive('anthropic', signed)).code).toBe('unknown_provider');
    expect((await receive('../openai', signed)).code).toBe('unknown_provider');
    const huge = sign(OPENAI_SECRET, { ...openaiEvent('batch_1'), pad: 'x'.repeat(70_000) });
    expect((await receive('openai', huge)).code).toBe('body_too_large');
  });

  it('refuses every webhook of a provider with no secret configured', async () => {
    deps = { ...deps, pushSecrets: new StaticPushSecrets({ openai: [OPENAI_SECRET] }) };
    const event = { type: 'batch.succeeded', data: { id: 'batches/g1' } };
    await expect(receive('gemini', sign(GEMINI_SECRET, event))).rejects.toMatchObject({
      code: 'push_secret_missing',
    });
  });

  it('lets the provider’s retry through when the hand-over failed for now', async () => {
    failNotify = true;
    const first = sign(OPENAI_SECRET, openaiEvent('batch_1'), { id: 'wh_retry' });
    await expect(receive('openai', first)).rejects.toBeInstanceOf(UnavailableError);
    failNotify = false;
    const retry = sign(OPENAI_SECRET, openaiEvent('batch_1'), { id: 'wh_retry' });
    expect((await receive('openai', retry)).code).toBe('handed_to_completion');
    expect(notified).toEqual(['bl_1']);
  });
});
