import * as Anthropic from '@anthropic-ai/sdk';
import * as OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { translateProviderError } from '../../../shared/adapters/providers/translateProviderError.js';
import {
  AuthError,
  InvalidInputError,
  NotFoundError,
  ThrottledError,
  UnavailableError,
} from '../../../shared/domain/errors.js';

const anthropicError = (
  status: number,
  type: string,
  headers: Record<string, string> = {},
): Anthropic.APIError =>
  Anthropic.APIError.generate(
    status,
    { type: 'error', error: { type, message: `${type} happened` }, request_id: 'req_1' },
    undefined,
    new Headers({ 'request-id': 'req_1', ...headers }),
  );

// OpenAI's generate() reads the envelope's `error`, as the SDK does for a real response.
const openaiError = (
  status: number,
  type: string,
  headers: Record<string, string> = {},
  code: string | null = null,
): OpenAI.APIError =>
  OpenAI.APIError.generate(
    status,
    { error: { message: `${type} happened`, type, code, param: null } },
    undefined,
    new Headers({ 'x-request-id': 'req_2', ...headers }),
  );

const anthropic = { provider: 'anthropic', operation: 'batches.create' } as const;
const openai = { provider: 'openai', operation: 'batches.create' } as const;

describe('translateProviderError', () => {
  it.each([
    ['anthropic', () => anthropicError(429, 'rate_limit_error', { 'retry-after': '7' }), anthropic],
    ['openai', () => openaiError(429, 'requests', { 'retry-after': '7' }), openai],
  ] as const)('maps a %s 429 to ThrottledError with retry-after', (_name, make, context) => {
    const error = make();
    expect(error).toBeInstanceOf(
      context.provider === 'anthropic' ? Anthropic.RateLimitError : OpenAI.RateLimitError,
    );
    const translated = translateProviderError(error, context);
    expect(translated).toBeInstanceOf(ThrottledError);
    expect((translated as ThrottledError).retryAfterMs).toBe(7000);
    expect(translated.retryable).toBe(true);
    expect(translated.code).toBe('rate_limited');
    expect(translated.cause).toBe(error);
    expect(translated.details).toMatchObject({ provider: context.provider, status: 429 });
  });

  it('prefers retry-after-ms over retry-after', () => {
    const error = anthropicError(429, 'rate_limit_error', {
      'retry-after-ms': '250.5',
      'retry-after': '30',
    });
    expect((translateProviderError(error, anthropic) as ThrottledError).retryAfterMs).toBe(251);
  });

  it('leaves retryAfterMs null when the provider did not say', () => {
    const translated = translateProviderError(openaiError(429, 'requests'), openai);
    expect((translated as ThrottledError).retryAfterMs).toBeNull();
  });

  it('treats OpenAI insufficient_quota 429 as a billing problem, not throttling', () => {
    const error = openaiError(429, 'insufficient_quota', {}, 'insufficient_quota');
    const translated = translateProviderError(error, openai);
    expect(translated).toBeInstanceOf(AuthError);
    expect(translated.retryable).toBe(false);
  });

  it.each([500, 502, 503, 504, 529, 408, 409])(
    'maps Anthropic %i to UnavailableError',
    (status) => {
      const translated = translateProviderError(anthropicError(status, 'api_error'), anthropic);
      expect(translated).toBeInstanceOf(UnavailableError);
      expect(translated.retryable).toBe(true);
    },
  );

  it('maps Anthropic 529 (OverloadedError) with code overloaded', () => {
    const error = anthropicError(529, 'overloaded_error');
    expect(error).toBeInstanceOf(Anthropic.OverloadedError);
    expect(translateProviderError(error, anthropic).code).toBe('overloaded');
  });

  it.each([500, 503, 409])('maps OpenAI %i to UnavailableError', (status) => {
    expect(translateProviderError(openaiError(status, 'server_error'), openai)).toBeInstanceOf(
      UnavailableError,
    );
  });

  it.each([400, 413, 422])('maps %i to InvalidInputError', (status) => {
    for (const [error, context] of [
      [anthropicError(status, 'invalid_request_error'), anthropic],
      [openaiError(status, 'invalid_request_error'), openai],
    ] as const) {
      const translated = translateProviderError(error, context);
      expect(translated).toBeInstanceOf(InvalidInputError);
      expect(translated.retryable).toBe(false);
    }
  });

  it.each([401, 403, 402])('maps %i to AuthError', (status) => {
    for (const [error, context] of [
      [anthropicError(status, 'authentication_error'), anthropic],
      [openaiError(status, 'invalid_api_key'), openai],
    ] as const) {
      const translated = translateProviderError(error, context);
      expect(translated).toBeInstanceOf(AuthError);
      expect(translated.retryable).toBe(false);
    }
  });

  it('maps 402 billing with code billing', () => {
    const error = anthropicError(402, 'billing_error');
    expect(error).toBeInstanceOf(Anthropic.PaymentRequiredError);
    expect(translateProviderError(error, anthropic).code).toBe('billing');
  });

  it('maps 404 to NotFoundError', () => {
    expect(
      translateProviderError(anthropicError(404, 'not_found_error'), anthropic),
    ).toBeInstanceOf(NotFoundError);
    expect(
      translateProviderError(openaiError(404, 'invalid_request_error'), openai),
    ).toBeInstanceOf(NotFoundError);
  });

  it('maps connection errors and timeouts of both SDKs to UnavailableError', () => {
    const cases = [
      [new Anthropic.APIConnectionError({ message: 'reset' }), 'connection_error'],
      [new Anthropic.APIConnectionTimeoutError(), 'timeout'],
      [new OpenAI.APIConnectionError({ message: 'reset' }), 'connection_error'],
      [new OpenAI.APIConnectionTimeoutError(), 'timeout'],
    ] as const;
    for (const [error, code] of cases) {
      const translated = translateProviderError(error, anthropic);
      expect(translated).toBeInstanceOf(UnavailableError);
      expect(translated.code).toBe(code);
    }
  });

  it('keeps provider and request details, and the provider message', () => {
    const translated = translateProviderError(
      anthropicError(400, 'invalid_request_error'),
      anthropic,
    );
    expect(translated.message).toContain('anthropic batches.create failed');
    expect(translated.message).toContain('invalid_request_error happened');
    expect(translated.details).toEqual({
      provider: 'anthropic',
      operation: 'batches.create',
      status: 400,
      providerType: 'invalid_request_error',
      requestId: 'req_1',
    });
  });

  it('passes batchlane errors through and treats unknown errors as unavailable', () => {
    const own = new NotFoundError('gone', { code: 'not_found' });
    expect(translateProviderError(own, openai)).toBe(own);
    const translated = translateProviderError(new TypeError('fetch failed'), openai);
    expect(translated).toBeInstanceOf(UnavailableError);
    expect(translated.cause).toBeInstanceOf(TypeError);
  });
});
