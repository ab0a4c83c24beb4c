import { describe, expect, it } from 'vitest';
import type { Destination } from '../../../shared/contract/destination.js';
import { type RejectionCode, validateRequest } from '../../../shared/domain/validateRequest.js';

const queue: Destination = {
  type: 'sqs',
  queue_url: 'https://sqs.us-east-1.amazonaws.com/123456789012/results',
};
const ctx = {
  defaultDestination: null,
  enabledProviders: ['anthropic', 'openai'] as const,
  now: new Date('2026-11-26T12:00:00Z'),
  maxRequestBytes: 256_000_000,
};

const anthropic = (overrides: Record<string, unknown> = {}) => ({
  custom_id: 'req-1',
  provider: 'anthropic',
  body: { model: 'claude-haiku-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] },
  destination: queue,
  ...overrides,
});

const rejectionOf = (raw: string, context = ctx): RejectionCode => {
  const outcome = validateRequest(raw, context);
  if (outcome.ok) throw new Error('expected a rejection');
  return outcome.rejection.code;
};

describe('Function: validateRequest()', () => {
  it('accepts a well-formed request and resolves its endpoint, model and destination', () => {
    // Act
    const outcome = validateRequest(JSON.stringify(anthropic()), ctx);

    // Assess
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect(outcome.accepted.endpoint).toBe('/v1/messages');
    expect(outcome.accepted.model).toBe('claude-haiku-4-5');
    expect(outcome.accepted.destination).toEqual(queue);
    expect(outcome.accepted.request.tier).toBe('batch');
    expect(outcome.accepted.requestHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('gives the same fingerprint whatever the key order or an explicit default tier', () => {
    const a = validateRequest(JSON.stringify(anthropic()), ctx);
    const reordered = {
      destination: queue,
      body: {
        messages: [{ content: 'hi', role: 'user' }],
        max_tokens: 64,
        model: 'claude-haiku-4-5',
      },
      provider: 'anthropic',
      custom_id: 'req-1',
      tier: 'batch',
    };
    const b = validateRequest(JSON.stringify(reordered), ctx);
    expect(a.ok && b.ok && a.accepted.requestHash === b.accepted.requestHash).toBe(true);
  });

  it('gives a different fingerprint when the body differs', () => {
    const a = validateRequest(JSON.stringify(anthropic()), ctx);
    const b = validateRequest(
      JSON.stringify(
        anthropic({
          body: {
            model: 'claude-haiku-4-5',
            max_tokens: 65,
            messages: [{ role: 'user', content: 'hi' }],
          },
        }),
      ),
      ctx,
    );
    expect(a.ok && b.ok && a.accepted.requestHash !== b.accepted.requestHash).toBe(true);
  });

  it('uses the default destination when the request names none', () => {
    const outcome = validateRequest(JSON.stringify(anthropic({ destination: undefined })), {
      ...ctx,
      defaultDestination: queue,
    });
    expect(outcome.ok && outcome.accepted.destination).toEqual(queue);
  });

  it.each<[string, string, RejectionCode]>([
    ['malformed JSON', '{"custom_id": "x", ', 'malformed_json'],
    ['an array', '[1,2]', 'not_an_object'],
    ['a JSON string', '"hello"', 'not_an_object'],
    [
      'a missing custom_id',
      JSON.stringify(anthropic({ custom_id: undefined })),
      'invalid_custom_id',
    ],
    [
      'a custom_id with a space',
      JSON.stringify(anthropic({ custom_id: 'a b' })),
      'invalid_custom_id',
    ],
    [
      'a custom_id of 65 characters',
      JSON.stringify(anthropic({ custom_id: 'x'.repeat(65) })),
      'invalid_custom_id',
    ],
    ['a numeric custom_id', JSON.stringify(anthropic({ custom_id: 42 })), 'invalid_custom_id'],
    ['an unknown provider', JSON.stringify(anthropic({ provider: 'mistral' })), 'unknown_provider'],
    [
      'an endpoint of another provider',
      JSON.stringify(anthropic({ endpoint: '/v1/embeddings' })),
      'unsupported_endpoint',
    ],
    [
      'an unknown endpoint',
      JSON.stringify(anthropic({ endpoint: '/v1/images' })),
      'unsupported_endpoint',
    ],
    [
      'stream: true',
      JSON.stringify(
        anthropic({
          body: {
            model: 'm',
            max_tokens: 5,
            stream: true,
            messages: [{ role: 'user', content: 'x' }],
          },
        }),
      ),
      'stream_not_supported',
    ],
    ['a body that is not an object', JSON.stringify(anthropic({ body: 'hello' })), 'invalid_body'],
    [
      'a body without model',
      JSON.stringify(
        anthropic({ body: { max_tokens: 5, messages: [{ role: 'user', content: 'x' }] } }),
      ),
      'invalid_body',
    ],
    [
      'max_tokens 0',
      JSON.stringify(
        anthropic({
          body: { model: 'm', max_tokens: 0, messages: [{ role: 'user', content: 'x' }] },
        }),
      ),
      'invalid_body',
    ],
    [
      'no messages',
      JSON.stringify(anthropic({ body: { model: 'm', max_tokens: 5 } })),
      'invalid_body',
    ],
    [
      'embeddings without input',
      JSON.stringify({
        custom_id: 'e',
        provider: 'openai',
        endpoint: '/v1/embeddings',
        body: { model: 'text-embedding-3-small' },
        destination: queue,
      }),
      'invalid_body',
    ],
    [
      'an sqs destination without queue_url',
      JSON.stringify(anthropic({ destination: { type: 'sqs' } })),
      'invalid_destination',
    ],
    [
      'an unknown destination type',
      JSON.stringify(anthropic({ destination: { type: 'ftp', url: 'ftp://x' } })),
      'invalid_destination',
    ],
    [
      'a webhook destination with a non-http URL',
      JSON.stringify(anthropic({ destination: { type: 'webhook', url: 'file:///etc/passwd' } })),
      'invalid_destination',
    ],
    [
      'an invalid bucket name',
      JSON.stringify(
        anthropic({ destination: { type: 's3', bucket: 'Not_A_Bucket', prefix: '' } }),
      ),
      'invalid_destination',
    ],
    ['a reserved tier', JSON.stringify(anthropic({ tier: 'flex' })), 'unsupported_tier'],
    ['an unknown tier', JSON.stringify(anthropic({ tier: 'urgent' })), 'unsupported_tier'],
    [
      'a deadline that is not a date',
      JSON.stringify(anthropic({ deadline: 'tomorrow' })),
      'invalid_deadline',
    ],
    [
      'a deadline in the past',
      JSON.stringify(anthropic({ deadline: '2026-11-25T00:00:00Z' })),
      'deadline_passed',
    ],
    ['an unknown top-level field', JSON.stringify(anthropic({ prompt: 'hi' })), 'unknown_field'],
  ])('rejects %s with a specific reason', (_name, raw, code) => {
    expect(rejectionOf(raw)).toBe(code);
  });

  it('rejects a request for a provider this deployment has not enabled', () => {
    expect(
      rejectionOf(JSON.stringify(anthropic()), { ...ctx, enabledProviders: ['openai'] as never }),
    ).toBe('provider_not_enabled');
  });

  it('rejects a request with no destination when no default is configured', () => {
    expect(rejectionOf(JSON.stringify(anthropic({ destination: undefined })))).toBe(
      'missing_destination',
    );
  });

  it('rejects a body larger than the provider accepts in one batch', () => {
    expect(rejectionOf(JSON.stringify(anthropic()), { ...ctx, maxRequestBytes: 20 })).toBe(
      'request_too_large',
    );
  });

  it('keeps the custom_id and destination of a rejected request so its result can be delivered', () => {
    const outcome = validateRequest(JSON.stringify(anthropic({ tier: 'flex' })), ctx);
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.customId).toBe('req-1');
    expect(outcome.destination).toEqual(queue);
    expect(outcome.rejection.message).toContain('tier');
    expect(outcome.rejection.issues[0]?.path).toBe('tier');
  });

  it('does not trust a malformed custom_id for routing', () => {
    const outcome = validateRequest(JSON.stringify(anthropic({ custom_id: 'bad id!' })), ctx);
    expect(!outcome.ok && outcome.customId).toBeNull();
  });
});
