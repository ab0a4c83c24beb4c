import { ApiError } from '@google/genai';
import { describe, expect, it } from 'vitest';
import {
  requestFaultOf,
  retryAdviceFor,
  translateProviderError,
} from '../../../shared/adapters/providers/translateProviderError.js';
import {
  AuthError,
  InvalidInputError,
  NotFoundError,
  ThrottledError,
  UnavailableError,
} from '../../../shared/domain/errors.js';
import { parseResultLine } from '../../../shared/domain/parseResultLine.js';
import { defaultPriceTable } from '../../../shared/domain/pricing/defaultPriceTable.js';
import { priceRequest } from '../../../shared/domain/pricing/priceRequest.js';
import { tokenUsageFromResponse } from '../../../shared/domain/pricing/TokenUsage.js';

const response = (usage: Record<string, number>) => ({
  candidates: [{ content: { role: 'model', parts: [{ text: 'ok' }] }, finishReason: 'STOP' }],
  usageMetadata: usage,
  modelVersion: 'gemini-2.5-flash',
});

describe('Gemini result lines', () => {
  it('reads a response line by key, with its usage', () => {
    const parsed = parseResultLine(
      'gemini',
      JSON.stringify({
        key: 'r000001',
        response: response({
          promptTokenCount: 100,
          candidatesTokenCount: 20,
          totalTokenCount: 120,
        }),
      }),
    );

    expect(parsed).toMatchObject({
      providerCustomId: 'r000001',
      status: 'succeeded',
      model: 'gemini-2.5-flash',
      usage: { input_tokens: 100, output_tokens: 20, cache_read_input_tokens: 0 },
    });
  });

  it('makes a per-line error a per-request outcome, retryable by its status', () => {
    const line = (status: string, code: number) =>
      parseResultLine(
        'gemini',
        JSON.stringify({ key: 'k', error: { code, message: 'm', status } }),
      );

    expect(line('INVALID_ARGUMENT', 400)).toMatchObject({
      status: 'errored',
      retryable: false,
      error: { type: 'INVALID_ARGUMENT', message: 'm' },
    });
    expect(line('RESOURCE_EXHAUSTED', 429).retryable).toBe(true);
    expect(line('UNAVAILABLE', 503).retryable).toBe(true);
    // A line that names only the HTTP code is judged by it.
    expect(
      parseResultLine('gemini', JSON.stringify({ key: 'k', status: { code: 500, message: 'x' } })),
    ).toMatchObject({ status: 'errored', retryable: true, error: { type: 'http_500' } });
  });

  it('refuses lines it cannot match or read, without copying their content', () => {
    expect(() => parseResultLine('gemini', '{"response":{}}')).toThrow(/key missing/);
    expect(() => parseResultLine('gemini', '{"key":"k"}')).toThrow(/neither response nor error/);
    expect(() => parseResultLine('gemini', 'secret prompt')).toThrow(InvalidInputError);
  });
});

describe('Gemini usage and prices', () => {
  it('takes cached tokens out of the prompt and bills thinking and tool-use prompts', () => {
    const usage = tokenUsageFromResponse(
      'gemini',
      'generateContent',
      response({
        promptTokenCount: 1000,
        cachedContentTokenCount: 800,
        toolUsePromptTokenCount: 50,
        candidatesTokenCount: 40,
        thoughtsTokenCount: 60,
      }),
    );
    expect(usage).toMatchObject({ inputTokens: 250, cacheReadTokens: 800, outputTokens: 100 });
  });

  it('does not stack the batch discount with the cache price', () => {
    // 1M uncached input, 1M cached, 1M output on gemini-2.5-flash (0.30 / 0.075 / 2.50).
    const usage = tokenUsageFromResponse(
      'gemini',
      'generateContent',
      response({
        promptTokenCount: 2_000_000,
        cachedContentTokenCount: 1_000_000,
        candidatesTokenCount: 1_000_000,
      }),
    );
    const at = new Date('2026-12-06T00:00:00Z');
    const price = (lane: 'batch' | 'flex' | 'realtime') =>
      priceRequest(
        { provider: 'gemini', model: 'gemini-2.5-flash', lane, usage, at },
        defaultPriceTable,
      );

    // Batch: half of input and output, the cached tokens at the full cache price.
    expect(price('batch')).toMatchObject({
      usd: 0.15 + 0.075 + 1.25,
      realtime_usd: 0.3 + 0.075 + 2.5,
      billed_as: 'batch',
      basis: 'usage',
    });
    // Flex: half of every price; its answers say no tier, and are billed as flex.
    expect(price('flex')).toMatchObject({ usd: 0.15 + 0.0375 + 1.25, billed_as: 'flex' });
    expect(price('realtime')).toMatchObject({ usd: 0.3 + 0.075 + 2.5, billed_as: 'standard' });
  });

  it('prices every model in the demo and leaves an unknown one unpriced, not free', () => {
    const usage = tokenUsageFromResponse(
      'gemini',
      'generateContent',
      response({ promptTokenCount: 10 }),
    );
    const at = new Date('2026-12-06T00:00:00Z');
    for (const model of ['gemini-2.5-flash', 'gemini-2.5-pro', 'gemini-2.0-flash-001']) {
      expect(
        priceRequest({ provider: 'gemini', model, lane: 'batch', usage, at }, defaultPriceTable)
          .basis,
      ).toBe('usage');
    }
    expect(
      priceRequest(
        { provider: 'gemini', model: 'gemini-9-ultra', lane: 'batch', usage, at },
        defaultPriceTable,
      ).basis,
    ).toBe('unpriced_model');
  });
});

describe('Gemini errors', () => {
  const apiError = (status: number, body: Record<string, unknown>) =>
    new ApiError({ status, message: JSON.stringify({ error: { code: status, ...body } }) });
  const context = { provider: 'gemini', operation: 'batches.get' } as const;

  it('translates statuses into batchlane errors, retryable or not', () => {
    const translate = (status: number, body: Record<string, unknown> = {}) =>
      translateProviderError(apiError(status, body), context);

    expect(translate(429, { status: 'RESOURCE_EXHAUSTED' })).toBeInstanceOf(ThrottledError);
    expect(translate(503, { status: 'UNAVAILABLE' })).toBeInstanceOf(UnavailableError);
    expect(translate(500)).toBeInstanceOf(UnavailableError);
    expect(translate(404, { status: 'NOT_FOUND' })).toBeInstanceOf(NotFoundError);
    expect(translate(403, { status: 'PERMISSION_DENIED' })).toBeInstanceOf(AuthError);
    expect(translate(400, { status: 'INVALID_ARGUMENT' })).toBeInstanceOf(InvalidInputError);
    expect(
      translate(400, {
        status: 'INVALID_ARGUMENT',
        details: [
          { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID' },
        ],
      }),
    ).toBeInstanceOf(AuthError);
    // A failure before any answer (connection refused) is retried.
    expect(translateProviderError(new TypeError('fetch failed'), context).retryable).toBe(true);
  });

  it('tells the request’s own faults from the service’s', () => {
    expect(requestFaultOf(apiError(400, { status: 'INVALID_ARGUMENT', message: 'bad' }))).toEqual({
      type: 'INVALID_ARGUMENT',
      message: 'bad',
    });
    expect(requestFaultOf(apiError(503, { status: 'UNAVAILABLE' }))).toBeNull();
    expect(retryAdviceFor(apiError(503, {}))).toEqual({ retry: true, afterMs: null });
    expect(retryAdviceFor(apiError(400, {}))).toEqual({ retry: false, afterMs: null });
  });
});
