import { describe, expect, it } from 'vitest';
import { jsonDepth } from '../../../shared/domain/jsonDepth.js';
import { defaultPriceTable } from '../../../shared/domain/pricing/defaultPriceTable.js';
import {
  isKnownModel,
  isModelOfProvider,
  MODEL_LIMITS,
  maxOutputTokensOf,
  requestedOutputTokens,
} from '../../../shared/domain/pricing/modelLimits.js';

describe('Model limits', () => {
  it.each([
    ['anthropic', 'claude-haiku-4-5', 64_000],
    ['anthropic', 'claude-haiku-4-5-20251001', 64_000],
    ['anthropic', 'claude-opus-4-6', 128_000],
    ['anthropic', 'claude-opus-4-1-20250805', 32_000],
    ['anthropic', 'claude-sonnet-4-20250514', 64_000],
    ['openai', 'gpt-4o', 16_384],
    ['openai', 'gpt-4o-2024-08-06', 16_384],
    ['openai', 'gpt-4o-mini-2024-07-18', 16_384],
    ['openai', 'gpt-5-mini-2025-08-07', 128_000],
    ['openai', 'gpt-4.1-nano', 32_768],
  ] as const)('knows the output cap of %s %s', (provider, model, cap) => {
    expect(maxOutputTokensOf(provider, model)).toBe(cap);
  });

  it('does not confuse a model with a longer id that shares its prefix', () => {
    // gpt-5-mini is not a snapshot of gpt-5; gpt-4o-mini is not gpt-4o.
    expect(maxOutputTokensOf('openai', 'gpt-4o-mini')).toBe(16_384);
    expect(isKnownModel('openai', 'gpt-4o-2024-05-13')).toBe(false);
    expect(isKnownModel('anthropic', 'claude-haiku-4-5-turbo')).toBe(false);
  });

  it('has no cap for models without output tokens or unknown to it', () => {
    expect(maxOutputTokensOf('openai', 'text-embedding-3-small')).toBeNull();
    expect(maxOutputTokensOf('anthropic', 'claude-future-9')).toBeNull();
  });

  it('knows every model the default price table prices, and cites a source for each', () => {
    for (const [provider, entries] of Object.entries(defaultPriceTable.providers)) {
      for (const entry of entries) {
        expect(isKnownModel(provider as 'anthropic' | 'openai', entry.model), entry.model).toBe(
          true,
        );
      }
    }
    for (const entries of Object.values(MODEL_LIMITS)) {
      for (const entry of entries ?? []) expect(entry.source, entry.model).toMatch(/^https:\/\//);
    }
  });

  it('tells which names can belong to a provider at all', () => {
    expect(isModelOfProvider('anthropic', 'claude-anything')).toBe(true);
    expect(isModelOfProvider('anthropic', 'gpt-4o')).toBe(false);
    expect(isModelOfProvider('openai', 'ft:gpt-4o-mini:acme::x')).toBe(true);
    expect(isModelOfProvider('openai', 'o3-pro')).toBe(true);
    expect(isModelOfProvider('openai', 'constructor')).toBe(false);
  });

  it('reads the output-token field of each endpoint', () => {
    expect(requestedOutputTokens('/v1/messages', { max_tokens: 5 })).toEqual({
      field: 'max_tokens',
      value: 5,
    });
    expect(
      requestedOutputTokens('/v1/chat/completions', { max_tokens: 5, max_completion_tokens: 7 }),
    ).toEqual({ field: 'max_completion_tokens', value: 7 });
    expect(requestedOutputTokens('/v1/responses', { max_output_tokens: 9 })).toEqual({
      field: 'max_output_tokens',
      value: 9,
    });
    expect(requestedOutputTokens('/v1/embeddings', { max_tokens: 9 })).toBeNull();
    expect(requestedOutputTokens('/v1/messages', { max_tokens: '9' })).toBeNull();
  });
});

describe('Function: jsonDepth()', () => {
  it('measures nesting without recursion, giving up past the limit', () => {
    expect(jsonDepth(1, 5)).toBe(0);
    expect(jsonDepth([], 5)).toBe(1);
    expect(jsonDepth({ a: [{ b: 1 }] }, 5)).toBe(3);
    expect(jsonDepth([[1], [[[2]]]], 10)).toBe(4);
    const deep = JSON.parse(`${'['.repeat(200_000)}${']'.repeat(200_000)}`);
    expect(jsonDepth(deep, 64)).toBe(65);
  });
});
