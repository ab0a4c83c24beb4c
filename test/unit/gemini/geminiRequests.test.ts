import { describe, expect, it } from 'vitest';
import { estimateRequest } from '../../../shared/domain/estimateRequest.js';
import { formatProviderLine } from '../../../shared/domain/formatProviderLine.js';
import { defaultPriceTable } from '../../../shared/domain/pricing/defaultPriceTable.js';
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

  it('refuses a model that cannot be Gemini, and more output tokens than the model makes', () => {
    const notGemini = validateRequest(gemini({}, { model: 'gpt-4o' }), ctx);
    const tooMany = validateRequest(
      gemini({}, { model: 'models/gemini-2.0-flash', generationConfig: { maxOutputTokens: 9000 } }),
      ctx,
    );
    const enough = validateRequest(
      gemini({}, { generation_config: { max_output_tokens: 65_536 } }),
      ctx,
    );

    expect(notGemini).toMatchObject({ ok: false, rejection: { code: 'unknown_model' } });
    expect(tooMany).toMatchObject({
      ok: false,
      rejection: {
        code: 'max_tokens_too_large',
        issues: [{ path: 'body.generationConfig.maxOutputTokens' }],
      },
    });
    expect(enough.ok).toBe(true);
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

describe('Gemini admission estimates', () => {
  it('reads the output limit from generationConfig, in either spelling', () => {
    // 4,000 bytes → 1,000 input tokens at $0.15/M (batch) = $0.00015; 200 output tokens at
    // $1.25/M (batch) = $0.00025; together 400,000 nano-dollars.
    const estimate = (body: Record<string, unknown>) =>
      estimateRequest(
        {
          provider: 'gemini',
          endpoint: 'generateContent',
          model: 'gemini-2.5-flash',
          body,
          bodyBytes: 4000,
          lane: 'batch',
          at: new Date('2026-12-06T00:00:00Z'),
        },
        defaultPriceTable,
      );
    expect(estimate({ generationConfig: { maxOutputTokens: 200 } })).toMatchObject({
      inputTokens: 1000,
      nanoUsd: 400_000,
      priced: true,
    });
    expect(estimate({ generation_config: { max_output_tokens: 200 } }).nanoUsd).toBe(400_000);
  });
});
