import { describe, expect, it } from 'vitest';
import { formatProviderLine } from '../../../shared/domain/formatProviderLine.js';
import { validateRequest } from '../../../shared/domain/validateRequest.js';
import { withProviderCustomId } from '../../../shared/domain/withProviderCustomId.js';

const ctx = {
  defaultDestination: null,
  enabledProviders: ['anthropic', 'openai', 'gemini'] as const,
  now: new Date('2026-12-06T12:00:00Z'),
  maxRequestBytes: 256_000_000,
  allowPrivateWebhooks: false,
};

const gemini = (overrides: Record<string, unknown> = {}, body: Record<string, unknown> = {}) =>
  JSON.stringify({
    custom_id: 'g-1',
    provider: 'gemini',
    body: {
      model: 'gemini-2.5-flash',
      contents: [{ role: 'user', parts: [{ text: 'hi' }] }],
      ...body,
    },
    destination: { type: 'sqs', queue_url: 'https://sqs.us-east-1.amazonaws.com/1/results' },
    ...overrides,
  });

describe('Gemini requests at intake', () => {
  it('accepts generateContent by default and groups models/x with x', () => {
    const plain = validateRequest(gemini(), ctx);
    const prefixed = validateRequest(gemini({}, { model: 'models/gemini-2.5-flash' }), ctx);

    expect(plain).toMatchObject({
      ok: true,
      accepted: { endpoint: 'generateContent', model: 'gemini-2.5-flash' },
    });
    expect(prefixed).toMatchObject({ ok: true, accepted: { model: 'gemini-2.5-flash' } });
  });

  it('refuses a body without contents, and an endpoint Gemini does not have', () => {
    const noContents = validateRequest(gemini({}, { contents: [] }), ctx);
    const wrongEndpoint = validateRequest(gemini({ endpoint: '/v1/chat/completions' }), ctx);
    const disabled = validateRequest(gemini(), { ...ctx, enabledProviders: ['openai'] as never });

    expect(noContents).toMatchObject({ ok: false, rejection: { code: 'invalid_body' } });
    expect(wrongEndpoint).toMatchObject({
      ok: false,
      rejection: { code: 'unsupported_endpoint' },
    });
    expect(disabled).toMatchObject({ ok: false, rejection: { code: 'provider_not_enabled' } });
  });

  it('offers flex on generateContent, as on OpenAI text endpoints, and nowhere on Anthropic', () => {
    const flex = validateRequest(gemini({ tier: 'flex' }), ctx);
    const anthropicFlex = validateRequest(
      JSON.stringify({
        custom_id: 'a-1',
        provider: 'anthropic',
        tier: 'flex',
        body: {
          model: 'claude-haiku-4-5',
          max_tokens: 8,
          messages: [{ role: 'user', content: 'x' }],
        },
        destination: { type: 'sqs', queue_url: 'https://sqs.us-east-1.amazonaws.com/1/r' },
      }),
      ctx,
    );

    expect(flex).toMatchObject({ ok: true, accepted: { request: { tier: 'flex' } } });
    expect(anthropicFlex).toMatchObject({ ok: false, rejection: { code: 'unsupported_tier' } });
  });
});

describe('Gemini batch input lines', () => {
  it('stores the body with its custom_id first, so ids can be set in place', () => {
    const body = { model: 'gemini-2.5-flash', contents: [{ parts: [{ text: 'hi' }] }] };
    const line = formatProviderLine('gemini', 'generateContent', 'r000000', body);

    expect(JSON.parse(line)).toEqual({ custom_id: 'r000000', body });
    expect(JSON.parse(withProviderCustomId(line, 'r000042'))).toEqual({
      custom_id: 'r000042',
      body,
    });
  });
});
