import { describe, expect, it } from 'vitest';
import type { ProviderEndpoint } from '../../../shared/contract/providers.js';
import { planBatches } from '../../../shared/domain/planBatches.js';

const req = (
  provider: 'anthropic' | 'openai',
  model: string,
  lineBytes = 100,
  endpoint: ProviderEndpoint = provider === 'anthropic' ? '/v1/messages' : '/v1/chat/completions',
) => ({ provider, endpoint, model, lineBytes });

describe('Function: planBatches()', () => {
  it('keeps one model per OpenAI batch but mixes models for Anthropic', () => {
    const plans = planBatches(
      [
        req('openai', 'gpt-a'),
        req('openai', 'gpt-b'),
        req('anthropic', 'c-1'),
        req('anthropic', 'c-2'),
        req('openai', 'gpt-a'),
      ],
      { maxRequests: null, maxBytes: null },
    );
    const summary = plans
      .map((p) => `${p.provider}:${p.models.join('+')}:${p.requests.length}`)
      .sort();
    expect(summary).toEqual(['anthropic:c-1+c-2:2', 'openai:gpt-a:2', 'openai:gpt-b:1']);
  });

  it('never mixes endpoints in one batch', () => {
    const plans = planBatches(
      [req('openai', 'm', 10, '/v1/chat/completions'), req('openai', 'm', 10, '/v1/embeddings')],
      { maxRequests: null, maxBytes: null },
    );
    expect(plans.map((p) => p.endpoint).sort()).toEqual(['/v1/chat/completions', '/v1/embeddings']);
  });

  it('splits by request count and by bytes, keeping order', () => {
    const requests = Array.from({ length: 7 }, (_, i) => ({ ...req('anthropic', 'c'), id: i }));
    const byCount = planBatches(requests, { maxRequests: 3, maxBytes: null });
    expect(byCount.map((p) => p.requests.map((r) => r.id))).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    const byBytes = planBatches(requests, { maxRequests: null, maxBytes: 250 });
    expect(byBytes.map((p) => p.requests.length)).toEqual([2, 2, 2, 1]);
    expect(byBytes.every((p) => p.bytes <= 250)).toBe(true);
  });

  it('caps at the provider limit even when an override is larger', () => {
    const requests = Array.from({ length: 50_001 }, () => req('openai', 'gpt', 1));
    const plans = planBatches(requests, { maxRequests: 1_000_000, maxBytes: null });
    expect(plans.map((p) => p.requests.length)).toEqual([50_000, 1]);
  });
});
