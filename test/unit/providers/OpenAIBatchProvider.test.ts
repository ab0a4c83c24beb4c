import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { OpenAIBatchProvider } from '../../../shared/adapters/providers/OpenAIBatchProvider.js';
import { UnavailableError } from '../../../shared/domain/errors.js';
import { formatProviderLine } from '../../../shared/domain/formatProviderLine.js';
import { fakeFetch, json } from './fakeFetch.js';

const batch = (overrides: Record<string, unknown> = {}) => ({
  id: 'batch_1',
  object: 'batch',
  endpoint: '/v1/chat/completions',
  errors: null,
  input_file_id: 'file-in',
  completion_window: '24h',
  status: 'validating',
  output_file_id: null,
  error_file_id: null,
  created_at: 1_764_151_200,
  in_progress_at: null,
  expires_at: 1_764_237_600,
  finalizing_at: null,
  completed_at: null,
  failed_at: null,
  expired_at: null,
  cancelling_at: null,
  cancelled_at: null,
  request_counts: { total: 0, completed: 0, failed: 0 },
  metadata: { batchlane_batch_id: 'b-1' },
  ...overrides,
});

const provider = (routes: Parameters<typeof fakeFetch>[0]) => {
  const fake = fakeFetch(routes);
  const client = new OpenAI({
    apiKey: 'k',
    baseURL: 'http://openai.test/v1',
    maxRetries: 0,
    fetch: fake.fetch,
  });
  return { provider: new OpenAIBatchProvider({ client }), calls: fake.calls };
};

const LINE = formatProviderLine('openai', '/v1/chat/completions', 'c1', {
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'hi' }],
});

describe('OpenAIBatchProvider', () => {
  it('uploads the input as a file, then creates the batch with batchlane metadata', async () => {
    const { provider: p, calls } = provider({
      'POST /v1/files': () =>
        json({ id: 'file-in', object: 'file', bytes: 1, purpose: 'batch', filename: 'x' }),
      'POST /v1/batches': () => json(batch()),
    });
    const snapshot = await p.submit({
      batchId: 'b-1',
      endpoint: '/v1/chat/completions',
      openInput: async () => Readable.from([Buffer.from(`${LINE}\n`)]),
      requestCount: 1,
      inputBytes: LINE.length + 1,
    });
    const form = calls[0]?.body as FormData;
    expect(form.get('purpose')).toBe('batch');
    const file = form.get('file') as File;
    expect(file.name).toBe('b-1.jsonl');
    expect(await file.text()).toBe(`${LINE}\n`);
    expect(calls[1]?.body).toEqual({
      input_file_id: 'file-in',
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
      metadata: { batchlane_batch_id: 'b-1' },
    });
    expect(snapshot).toEqual({
      providerBatchId: 'batch_1',
      batchId: 'b-1',
      phase: 'running',
      providerStatus: 'validating',
      expiresAt: '2025-11-27T10:00:00.000Z',
      endedAt: null,
      failure: null,
      resultRefs: [],
    });
  });

  it('refuses an endpoint OpenAI does not serve', async () => {
    const { provider: p, calls } = provider({});
    await expect(
      p.submit({
        batchId: 'b',
        endpoint: '/v1/messages',
        openInput: async () => Readable.from([]),
        requestCount: 1,
        inputBytes: 1,
      }),
    ).rejects.toMatchObject({ code: 'unsupported_endpoint' });
    expect(calls).toHaveLength(0);
  });

  it('maps completed with both result files, in output-then-error order', async () => {
    const { provider: p } = provider({
      'GET /v1/batches/batch_1': () =>
        json(
          batch({
            status: 'completed',
            completed_at: 1_764_153_000,
            output_file_id: 'file-out',
            error_file_id: 'file-err',
          }),
        ),
    });
    expect(await p.retrieve('batch_1')).toMatchObject({
      phase: 'ended',
      providerStatus: 'completed',
      endedAt: '2025-11-26T10:30:00.000Z',
      failure: null,
      resultRefs: ['file-out', 'file-err'],
    });
  });

  it.each(['in_progress', 'finalizing', 'cancelling'])('maps %s as running', async (status) => {
    const { provider: p } = provider({ 'GET /v1/batches/batch_1': () => json(batch({ status })) });
    expect((await p.retrieve('batch_1')).phase).toBe('running');
  });

  it('maps failed with the first validation error as failure', async () => {
    const { provider: p } = provider({
      'GET /v1/batches/batch_1': () =>
        json(
          batch({
            status: 'failed',
            failed_at: 1_764_151_260,
            errors: {
              object: 'list',
              data: [
                {
                  code: 'token_limit_exceeded',
                  message: 'Enqueued token limit',
                  line: null,
                  param: null,
                },
              ],
            },
          }),
        ),
    });
    expect(await p.retrieve('batch_1')).toMatchObject({
      phase: 'ended',
      endedAt: '2025-11-26T10:01:00.000Z',
      failure: { code: 'token_limit_exceeded', message: 'Enqueued token limit' },
      resultRefs: [],
    });
  });

  it('maps expired and cancelled as ended with their files', async () => {
    const { provider: p } = provider({
      'GET /v1/batches/batch_1': () =>
        json(batch({ status: 'expired', expired_at: 1_764_237_600, error_file_id: 'file-err' })),
      'POST /v1/batches/batch_1/cancel': () =>
        json(
          batch({ status: 'cancelled', cancelled_at: 1_764_151_800, output_file_id: 'file-out' }),
        ),
    });
    expect(await p.retrieve('batch_1')).toMatchObject({ phase: 'ended', resultRefs: ['file-err'] });
    expect(await p.cancel('batch_1')).toMatchObject({
      phase: 'ended',
      providerStatus: 'cancelled',
      resultRefs: ['file-out'],
    });
  });

  it('streams a result file as raw bytes', async () => {
    const raw =
      '{"id":"batch_req_1","custom_id":"c1","response":null,"error":{"code":"batch_expired","message":"m"}}\n';
    const { provider: p } = provider({ 'GET /v1/files/file-err/content': () => new Response(raw) });
    expect(await text(await p.openResults('file-err'))).toBe(raw);
  });

  it('finds a batch by batchlane id across pages, newest first', async () => {
    const { provider: p, calls } = provider({
      'GET /v1/batches': (call) =>
        call.url.searchParams.get('after') === null
          ? json({
              object: 'list',
              data: [batch({ id: 'batch_3', metadata: { batchlane_batch_id: 'other' } })],
              has_more: true,
            })
          : json({ object: 'list', data: [batch({ id: 'batch_2' })], has_more: false }),
    });
    expect(await p.findByBatchId('b-1')).toMatchObject({ providerBatchId: 'batch_2' });
    expect(calls.map((c) => c.url.searchParams.get('after'))).toEqual([null, 'batch_3']);
    expect(await p.findByBatchId('missing')).toBeNull();
  });

  it('stops scanning at batches older than notBefore', async () => {
    const { provider: p, calls } = provider({
      'GET /v1/batches': () =>
        json({
          object: 'list',
          data: [batch({ id: 'batch_old', metadata: {}, created_at: 1_000 })],
          has_more: true,
        }),
    });
    expect(await p.findByBatchId('b-1', { notBefore: new Date(2_000_000) })).toBeNull();
    expect(calls).toHaveLength(1);
  });

  it('translates a 503 into UnavailableError', async () => {
    const { provider: p } = provider({
      'GET /v1/batches/batch_1': () =>
        json({ error: { message: 'down', type: 'server_error' } }, 503),
    });
    await expect(p.retrieve('batch_1')).rejects.toBeInstanceOf(UnavailableError);
  });
});
