import {
  ConnectionError,
  HTTPValidationError,
  RequestAbortedError,
  SDKError,
} from '@mistralai/mistralai/models/errors';
import { describe, expect, it } from 'vitest';
import {
  requestFaultOf,
  retryAdviceFor,
  translateProviderError,
} from '../../../shared/adapters/providers/translateProviderError.js';
import { RequestV1Schema } from '../../../shared/contract/request.js';
import {
  AuthError,
  InvalidInputError,
  NotFoundError,
  ThrottledError,
  UnavailableError,
} from '../../../shared/domain/errors.js';
import { formatProviderLine } from '../../../shared/domain/formatProviderLine.js';
import { parseResultLine } from '../../../shared/domain/parseResultLine.js';
import { defaultPriceTable } from '../../../shared/domain/pricing/defaultPriceTable.js';
import { priceRequest } from '../../../shared/domain/pricing/priceRequest.js';
import { tokenUsageFromResponse } from '../../../shared/domain/pricing/TokenUsage.js';

const chat = (usage: Record<string, unknown>) => ({
  id: 'x',
  object: 'chat.completion',
  model: 'mistral-small-latest',
  created: 1,
  choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
  usage,
});

/** An SDK error as the SDK builds it from an HTTP answer. */
const sdkError = (status: number, body: unknown, headers: Record<string, string> = {}) => {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return new SDKError('API error occurred', {
    response: new Response(text, { status, headers }),
    request: new Request('https://api.mistral.ai/v1/batch/jobs'),
    body: text,
  });
};

const context = { provider: 'mistral' as const, operation: 'batch.jobs.get' };

describe('Mistral request lines and intake', () => {
  it('stores a request as Mistral batch line {"custom_id","body"}', () => {
    const line = formatProviderLine('mistral', '/v1/chat/completions', 'bl-1', {
      model: 'mistral-small-latest',
      messages: [{ role: 'user', content: 'hi\u2028' }],
    });
    expect(JSON.parse(line)).toEqual({
      custom_id: 'bl-1',
      body: { model: 'mistral-small-latest', messages: [{ role: 'user', content: 'hi\u2028' }] },
    });
    expect(line).not.toContain('\u2028');
  });

  it('accepts Mistral requests and refuses flex, a missing FIM prompt, an unknown endpoint', () => {
    const base = {
      custom_id: 'c1',
      provider: 'mistral',
      body: { model: 'mistral-small-latest', messages: [{ role: 'user', content: 'hi' }] },
    };
    const reasons = (request: Record<string, unknown>) => {
      const parsed = RequestV1Schema.safeParse(request);
      return parsed.success
        ? []
        : parsed.error.issues.map(
            (issue) => ('params' in issue ? (issue.params as { reason?: string }) : {}).reason,
          );
    };

    expect(reasons(base)).toEqual([]);
    expect(reasons({ ...base, tier: 'flex' })).toEqual(['unsupported_tier']);
    expect(
      reasons({
        ...base,
        endpoint: '/v1/fim/completions',
        body: { model: 'codestral-latest' },
      }),
    ).toEqual(['invalid_body']);
    expect(reasons({ ...base, endpoint: '/v1/messages' })).toContain('unsupported_endpoint');
    expect(
      reasons({
        ...base,
        endpoint: '/v1/embeddings',
        body: { model: 'mistral-embed', input: ['a'] },
      }),
    ).toEqual([]);
  });
});

describe('Mistral result lines', () => {
  it('reads an output line by custom_id, with its usage and model', () => {
    const parsed = parseResultLine(
      'mistral',
      JSON.stringify({
        id: 'batch-1',
        custom_id: 'r1',
        response: {
          status_code: 200,
          body: chat({ prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 }),
        },
        error: null,
      }),
    );
    expect(parsed).toMatchObject({
      providerCustomId: 'r1',
      status: 'succeeded',
      model: 'mistral-small-latest',
      usage: { input_tokens: 100, output_tokens: 20, cache_read_input_tokens: 0 },
    });
  });

  it("makes a failed line the request's outcome: Mistral's type, 422 detail, retryable by status", () => {
    const line = (status: number, body: unknown) =>
      parseResultLine(
        'mistral',
        JSON.stringify({ custom_id: 'k', response: { status_code: status, body }, error: null }),
      );

    expect(
      line(400, { object: 'error', message: 'Invalid model: x', type: 'invalid_model' }),
    ).toMatchObject({
      status: 'errored',
      retryable: false,
      error: { type: 'invalid_model', message: 'Invalid model: x' },
    });
    expect(
      line(422, { detail: [{ loc: ['body', 'messages'], msg: 'Field required' }] }),
    ).toMatchObject({
      error: { type: 'http_422', message: 'body.messages: Field required' },
      retryable: false,
    });
    expect(
      line(503, { object: 'error', message: 'busy', type: 'service_unavailable' }).retryable,
    ).toBe(true);
    expect(line(429, { message: 'slow down' }).retryable).toBe(true);
  });

  it('keeps a bare error message in `error` as an errored outcome', () => {
    expect(
      parseResultLine('mistral', JSON.stringify({ custom_id: 'k', error: 'Model overloaded' })),
    ).toMatchObject({
      status: 'errored',
      error: { type: 'mistral_error', message: 'Model overloaded' },
      retryable: false,
    });
  });

  it('refuses a line without custom_id as malformed', () => {
    expect(() =>
      parseResultLine('mistral', JSON.stringify({ response: { status_code: 200, body: {} } })),
    ).toThrow(InvalidInputError);
  });
});

describe('Mistral usage and prices', () => {
  it('counts cached tokens apart from input, and embeddings without output', () => {
    expect(
      tokenUsageFromResponse(
        'mistral',
        '/v1/chat/completions',
        chat({
          prompt_tokens: 1000,
          completion_tokens: 50,
          prompt_tokens_details: { cached_tokens: 400 },
        }),
      ),
    ).toMatchObject({ inputTokens: 600, cacheReadTokens: 400, outputTokens: 50 });
    expect(
      tokenUsageFromResponse('mistral', '/v1/embeddings', {
        object: 'list',
        usage: { prompt_tokens: 12, total_tokens: 12 },
      }),
    ).toMatchObject({ inputTokens: 12, outputTokens: 0 });
  });

  it('prices a batch at half the standard price, by the price in effect that day', () => {
    const usage = tokenUsageFromResponse(
      'mistral',
      '/v1/chat/completions',
      chat({ prompt_tokens: 1_000_000, completion_tokens: 1_000_000 }),
    );
    const price = (model: string, lane: 'batch' | 'realtime', at: string) =>
      priceRequest(
        { provider: 'mistral', model, lane, usage, at: new Date(at) },
        defaultPriceTable,
      );

    // Mistral Small: 0.1 + 0.3 USD per million standard.
    expect(price('mistral-small-latest', 'realtime', '2026-12-01').nano_usd).toBe(400_000_000);
    expect(price('mistral-small-latest', 'batch', '2026-12-01')).toMatchObject({
      billed_as: 'batch',
      nano_usd: 200_000_000,
    });
    // The medium alias moved to Medium 3.5 on 2026-06-16: 0.4 + 2, then 1.5 + 7.5.
    expect(price('mistral-medium-latest', 'batch', '2026-01-10').nano_usd).toBe(1_200_000_000);
    expect(price('mistral-medium-latest', 'batch', '2026-07-01').nano_usd).toBe(4_500_000_000);
  });
});

describe('Mistral SDK errors', () => {
  it('translates by status: auth, not found, throttled with retry-after, outages, refusals', () => {
    expect(
      translateProviderError(sdkError(401, { message: 'Unauthorized' }), context),
    ).toBeInstanceOf(AuthError);
    expect(translateProviderError(sdkError(404, { message: 'nope' }), context)).toBeInstanceOf(
      NotFoundError,
    );
    const throttled = translateProviderError(
      sdkError(429, { message: 'Requests rate limit exceeded' }, { 'retry-after': '3' }),
      context,
    );
    expect(throttled).toBeInstanceOf(ThrottledError);
    expect(throttled).toMatchObject({ retryable: true, retryAfterMs: 3000 });
    expect(translateProviderError(sdkError(503, 'upstream down'), context)).toBeInstanceOf(
      UnavailableError,
    );
    expect(
      translateProviderError(
        sdkError(400, { object: 'error', message: 'bad', type: 'x' }),
        context,
      ),
    ).toMatchObject({ retryable: false, code: 'invalid_request' });
    expect(translateProviderError(new ConnectionError('reset'), context)).toMatchObject({
      retryable: true,
      code: 'connection_error',
    });
    expect(translateProviderError(new RequestAbortedError('stop'), context)).toMatchObject({
      code: 'aborted',
    });
  });

  it("reads the request's own fault and the retry advice as the SDK's retry codes do", () => {
    const validation = new HTTPValidationError(
      { detail: [{ loc: ['body', 'messages'], msg: 'Field required', type: 'missing' }] },
      {
        response: new Response('{}', { status: 422 }),
        request: new Request('https://api.mistral.ai/v1/chat/completions'),
        body: JSON.stringify({ detail: [{ loc: ['body', 'messages'], msg: 'Field required' }] }),
      },
    );
    expect(requestFaultOf(validation)).toEqual({
      type: 'invalid_request_error',
      message: 'body.messages: Field required',
    });
    expect(
      requestFaultOf(
        sdkError(400, { object: 'error', message: 'Invalid model: q', type: 'invalid_model' }),
      ),
    ).toEqual({ type: 'invalid_model', message: 'Invalid model: q' });
    expect(requestFaultOf(sdkError(401, { message: 'Unauthorized' }))).toBeNull();
    expect(requestFaultOf(sdkError(404, 'no route'))).toBeNull();
    expect(retryAdviceFor(sdkError(502, 'x'))).toEqual({ retry: true, afterMs: null });
    expect(retryAdviceFor(sdkError(400, 'x')).retry).toBe(false);
    expect(retryAdviceFor(new ConnectionError('reset')).retry).toBe(true);
  });
});
