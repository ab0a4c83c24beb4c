import { describe, expect, it } from 'vitest';
import { PROVIDER_LIMITS } from '../../../shared/contract/providers.js';
import { batchGroupKey, effectiveLimits } from '../../../shared/domain/batchLimits.js';

describe('batchGroupKey', () => {
  it('keeps one model per OpenAI batch but mixes models for Anthropic', () => {
    const anthropic = (model: string) =>
      batchGroupKey({ provider: 'anthropic', endpoint: '/v1/messages', model });
    const openai = (model: string) =>
      batchGroupKey({ provider: 'openai', endpoint: '/v1/chat/completions', model });
    expect(anthropic('claude-haiku-4-5')).toBe(anthropic('claude-sonnet-4-6'));
    expect(openai('gpt-4o-mini')).not.toBe(openai('gpt-4.1-mini'));
    expect(openai('gpt-4o-mini')).toBe(openai('gpt-4o-mini'));
  });

  it('never mixes endpoints in one batch', () => {
    expect(batchGroupKey({ provider: 'openai', endpoint: '/v1/embeddings', model: 'm' })).not.toBe(
      batchGroupKey({ provider: 'openai', endpoint: '/v1/chat/completions', model: 'm' }),
    );
  });
});

describe('effectiveLimits', () => {
  it("lowers the provider's limits to the deployment's caps, never raises them", () => {
    expect(effectiveLimits('openai', { maxRequests: 10, maxBytes: 1000 })).toEqual({
      maxRequests: 10,
      maxBytes: 1000,
      oneModelPerBatch: true,
    });
    const capped = effectiveLimits('anthropic', { maxRequests: 10_000_000, maxBytes: null });
    expect(capped.maxRequests).toBe(PROVIDER_LIMITS.anthropic.maxRequests);
  });

  it('keeps room for the create body around the lines', () => {
    const limits = effectiveLimits('anthropic', { maxRequests: null, maxBytes: null });
    const envelope = '{"requests":[]}'.length;
    // n lines of b bytes become n bodies joined by commas (n - 1) inside the envelope: the
    // newline each line loses pays for its comma.
    expect(limits.maxBytes + envelope).toBeLessThanOrEqual(PROVIDER_LIMITS.anthropic.maxBytes);
  });
});
