import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { AnthropicBatchProvider } from '../../../shared/adapters/providers/AnthropicBatchProvider.js';
import { InvalidInputError, NotFoundError, ThrottledError } from '../../../shared/domain/errors.js';
import { formatProviderLine } from '../../../shared/domain/formatProviderLine.js';
import { fakeFetch, json } from './fakeFetch.js';

const BASE = 'http://anthropic.test';

const batch = (overrides: Record<string, unknown> = {}) => ({
  id: 'msgbatch_1',
  type: 'message_batch',
  processing_status: 'in_progress',
  request_counts: { processing: 2, succeeded: 0, errored: 0, canceled: 0, expired: 0 },
  ended_at: null,
  created_at: '2026-11-26T10:00:00Z',
  expires_at: '2026-11-27T10:00:00Z',
  archived_at: null,
  cancel_initiated_at: null,
  results_url: null,
  ...overrides,
});

const ENDED = batch({
  processing_status: 'ended',
  ended_at: '2026-11-26T10:30:00Z',
  results_url: `${BASE}/v1/messages/batches/msgbatch_1/results`,
});

const RESULTS =
  '{"custom_id":"a","result":{"type":"canceled"}}\n{"custom_id":"b","result":{"type":"expired"}}\n';

const provider = (routes: Parameters<typeof fakeFetch>[0]) => {
  const fake = fakeFetch(routes);
  const client = new Anthropic({ apiKey: 'k', baseURL: BASE, maxRetries: 0, fetch: fake.fetch });
  return { provider: new AnthropicBatchProvider({ client }), calls: fake.calls };
};

const body = (n: number) => ({
  model: 'claude-sonnet-4-6',
  max_tokens: 16,
  messages: [{ role: 'user', content: `q${n}` }],
});
const input = (lines: string[], requestCount = lines.length) => ({
  batchId: 'b-1',
  endpoint: '/v1/messages' as const,
  openInput: async () => Readable.from([`${lines.join('\n')}\n`]),
  requestCount,
  inputBytes: 0,
});

describe('AnthropicBatchProvider', () => {
  it('submits the JSONL lines as requests and maps the running batch', async () => {
    const { provider: p, calls } = provider({
      'POST /v1/messages/batches': () => json(batch()),
    });
    const lines = [1, 2].map((n) =>
      formatProviderLine('anthropic', '/v1/messages', `c${n}`, body(n)),
    );
    const snapshot = await p.submit(input(lines));
    expect(calls[0]?.body).toEqual({
      requests: [
        { custom_id: 'c1', params: body(1) },
        { custom_id: 'c2', params: body(2) },
      ],
    });
    expect(snapshot).toEqual({
      providerBatchId: 'msgbatch_1',
      phase: 'running',
      providerStatus: 'in_progress',
      expiresAt: '2026-11-27T10:00:00Z',
      endedAt: null,
      failure: null,
      resultRefs: [],
    });
  });

  it('refuses malformed input lines and count mismatches before calling the API', async () => {
    const { provider: p, calls } = provider({});
    await expect(p.submit(input(['{"custom_id":"x"}']))).rejects.toMatchObject({
      code: 'malformed_input_line',
    });
    await expect(p.submit(input(['nope']))).rejects.toBeInstanceOf(InvalidInputError);
    const line = formatProviderLine('anthropic', '/v1/messages', 'c1', body(1));
    await expect(p.submit(input([line], 2))).rejects.toMatchObject({
      code: 'input_count_mismatch',
    });
    expect(calls).toHaveLength(0);
  });

  it('maps an ended batch with results_url as its only result ref', async () => {
    const { provider: p } = provider({ 'GET /v1/messages/batches/msgbatch_1': () => json(ENDED) });
    expect(await p.retrieve('msgbatch_1')).toMatchObject({
      phase: 'ended',
      providerStatus: 'ended',
      endedAt: '2026-11-26T10:30:00Z',
      resultRefs: [`${BASE}/v1/messages/batches/msgbatch_1/results`],
    });
  });

  it('cancels with POST .../cancel and reports canceling as running', async () => {
    const { provider: p, calls } = provider({
      'POST /v1/messages/batches/msgbatch_1/cancel': () =>
        json(batch({ processing_status: 'canceling' })),
    });
    expect(await p.cancel('msgbatch_1')).toMatchObject({
      phase: 'running',
      providerStatus: 'canceling',
    });
    expect(calls[0]?.method).toBe('POST');
  });

  it('streams the raw results bytes from results_url', async () => {
    const { provider: p, calls } = provider({
      'GET /v1/messages/batches/msgbatch_1/results': () =>
        new Response(RESULTS, { headers: { 'content-type': 'application/binary' } }),
    });
    const stream = await p.openResults(`${BASE}/v1/messages/batches/msgbatch_1/results`);
    expect(await text(stream)).toBe(RESULTS);
    expect(calls[0]?.headers.get('accept')).toBe('application/binary');
  });

  it('looks results_url up when the ref is a batch id', async () => {
    const { provider: p } = provider({
      'GET /v1/messages/batches/msgbatch_1': () => json(ENDED),
      'GET /v1/messages/batches/msgbatch_1/results': () => new Response(RESULTS),
    });
    expect(await text(await p.openResults('msgbatch_1'))).toBe(RESULTS);
  });

  it('says NotFound when the batch has no results_url yet', async () => {
    const { provider: p } = provider({
      'GET /v1/messages/batches/msgbatch_1': () => json(batch()),
    });
    await expect(p.openResults('msgbatch_1')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('refuses to send the API key to a results URL on another origin', async () => {
    const { provider: p, calls } = provider({});
    await expect(p.openResults('https://elsewhere.example/v1/results')).rejects.toMatchObject({
      code: 'untrusted_results_url',
    });
    expect(calls).toHaveLength(0);
  });

  it('translates SDK errors', async () => {
    const { provider: p } = provider({
      'GET /v1/messages/batches/msgbatch_1': () =>
        json({ type: 'error', error: { type: 'rate_limit_error', message: 'slow' } }, 429, {
          'retry-after-ms': '40',
        }),
    });
    const error = await p.retrieve('msgbatch_1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ThrottledError);
    expect((error as ThrottledError).retryAfterMs).toBe(40);
  });
});
