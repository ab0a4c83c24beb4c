import { describe, expect, it } from 'vitest';
import {
  type AdmissionCandidate,
  type AdmissionState,
  admitRequests,
  inFlightKey,
  isBudgetSet,
  unpricedRefusal,
} from '../../../shared/domain/admitRequests.js';
import { estimateRequest } from '../../../shared/domain/estimateRequest.js';
import { defaultPriceTable } from '../../../shared/domain/pricing/defaultPriceTable.js';

const candidate = (
  overrides: Partial<AdmissionCandidate & { id: string }> = {},
): AdmissionCandidate & { id: string } => ({
  id: 'r',
  provider: 'openai',
  model: 'gpt-4o-mini',
  batch: true,
  inputTokens: 100,
  nanoUsd: 1_000,
  ...overrides,
});

const state = (overrides: Partial<AdmissionState> = {}): AdmissionState => ({
  inFlight: new Map(),
  spentTodayNanoUsd: 0,
  spentThisMonthNanoUsd: 0,
  ...overrides,
});

const noBudget = { dailyNanoUsd: null, monthlyNanoUsd: null };

describe('admitRequests', () => {
  it('admits in arrival order up to a request quota, counting what is already in flight', () => {
    const inFlight = new Map([[inFlightKey('openai', 'gpt-4o-mini'), { requests: 3, tokens: 0 }]]);
    const { admitted, held } = admitRequests(
      ['a', 'b', 'c', 'd'].map((id) => candidate({ id })),
      state({ inFlight }),
      { quotas: { openai: { 'gpt-4o-mini': { requests: 5 } } }, budget: noBudget },
    );
    expect(admitted.map((c) => c.id)).toEqual(['a', 'b']);
    expect(held.map((h) => [h.candidate.id, h.reason])).toEqual([
      ['c', 'quota_requests'],
      ['d', 'quota_requests'],
    ]);
  });

  it('applies a token quota per model, with * for models without their own entry', () => {
    const { admitted, held } = admitRequests(
      [
        candidate({ id: 'a', inputTokens: 600 }),
        candidate({ id: 'b', inputTokens: 600 }),
        candidate({ id: 'c', model: 'gpt-4.1-mini', inputTokens: 600 }),
      ],
      state(),
      { quotas: { openai: { '*': { tokens: 1000 } } }, budget: noBudget },
    );
    expect(admitted.map((c) => c.id)).toEqual(['a', 'c']);
    expect(held.map((h) => h.reason)).toEqual(['quota_tokens']);
  });

  it('lets a request larger than the quota through when nothing of its model is in flight', () => {
    const { admitted } = admitRequests([candidate({ inputTokens: 5000 })], state(), {
      quotas: { openai: { 'gpt-4o-mini': { tokens: 1000 } } },
      budget: noBudget,
    });
    expect(admitted).toHaveLength(1);
  });

  it('does not apply batch quotas to the realtime lane', () => {
    const inFlight = new Map([[inFlightKey('openai', 'gpt-4o-mini'), { requests: 9, tokens: 0 }]]);
    const { admitted } = admitRequests([candidate({ batch: false })], state({ inFlight }), {
      quotas: { openai: { 'gpt-4o-mini': { requests: 1 } } },
      budget: noBudget,
    });
    expect(admitted).toHaveLength(1);
  });

  it('holds what would push spending past the daily or the monthly budget', () => {
    const { admitted, held } = admitRequests(
      [
        candidate({ id: 'a', nanoUsd: 400 }),
        candidate({ id: 'b', nanoUsd: 400 }),
        candidate({ id: 'c', nanoUsd: 100 }),
      ],
      state({ spentTodayNanoUsd: 500, spentThisMonthNanoUsd: 9_550 }),
      { quotas: {}, budget: { dailyNanoUsd: 1_000, monthlyNanoUsd: 10_000 } },
    );
    expect(admitted.map((c) => c.id)).toEqual(['a']);
    expect(held.map((h) => [h.candidate.id, h.reason])).toEqual([
      ['b', 'budget_daily'],
      ['c', 'budget_monthly'],
    ]);
  });
});

describe('estimateRequest', () => {
  it('prices input from the body size and output at the body limit, at batch prices', () => {
    // 4,000 bytes → 1,000 input tokens at $0.075/M (batch) = $0.000075;
    // 500 output tokens at $0.30/M (batch) = $0.00015; together 225,000 nano-dollars.
    const estimate = estimateRequest(
      {
        provider: 'openai',
        endpoint: '/v1/chat/completions',
        model: 'gpt-4o-mini',
        body: { max_tokens: 500 },
        bodyBytes: 4000,
        lane: 'batch',
        at: new Date('2026-11-26T00:00:00Z'),
      },
      defaultPriceTable,
    );
    expect(estimate).toEqual({ inputTokens: 1000, nanoUsd: 225_000, priced: true });
  });

  const unpriced = {
    provider: 'openai',
    endpoint: '/v1/chat/completions',
    model: 'gpt-unlisted-9',
    body: { max_tokens: 500 },
    bodyBytes: 4000,
    lane: 'batch' as const,
    at: new Date('2026-11-26T00:00:00Z'),
  };

  it('says when a model has no price, and costs it at nothing without a ceiling', () => {
    expect(estimateRequest(unpriced, defaultPriceTable)).toEqual({
      inputTokens: 1000,
      nanoUsd: 0,
      priced: false,
    });
  });

  it('prices an unpriced model at the ceiling: input and output tokens alike', () => {
    // $20 per million tokens = 20,000 nano-dollars per token; 1,000 in + 500 out.
    expect(estimateRequest(unpriced, defaultPriceTable, 20_000)).toEqual({
      inputTokens: 1000,
      nanoUsd: 30_000_000,
      priced: false,
    });
  });
});

describe('unpricedRefusal', () => {
  const budget = { dailyNanoUsd: 1_000_000_000, monthlyNanoUsd: null };
  const noBudget = { dailyNanoUsd: null, monthlyNanoUsd: null };
  const request = { provider: 'openai', model: 'gpt-unlisted-9', priced: false };

  it('refuses an unpriced model while a budget is set, with its own code', () => {
    const refusal = unpricedRefusal(request, budget, false);
    expect(refusal?.code).toBe('unpriced_model');
    expect(refusal?.message).toContain('gpt-unlisted-9');
    expect(unpricedRefusal(request, { dailyNanoUsd: null, monthlyNanoUsd: 5 }, false)?.code).toBe(
      'unpriced_model',
    );
  });

  it('lets it through without a budget, with a ceiling, or when the model is priced', () => {
    expect(unpricedRefusal(request, noBudget, false)).toBeNull();
    expect(unpricedRefusal(request, budget, true)).toBeNull();
    expect(unpricedRefusal({ ...request, priced: true }, budget, false)).toBeNull();
  });
});

describe('isBudgetSet', () => {
  it('is true when either cap is set', () => {
    expect(isBudgetSet({ dailyNanoUsd: null, monthlyNanoUsd: null })).toBe(false);
    expect(isBudgetSet({ dailyNanoUsd: 1, monthlyNanoUsd: null })).toBe(true);
    expect(isBudgetSet({ dailyNanoUsd: null, monthlyNanoUsd: 1 })).toBe(true);
  });
});
