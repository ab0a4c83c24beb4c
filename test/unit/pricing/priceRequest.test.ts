import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../shared/domain/errors.js';
import { defaultPriceTable } from '../../../shared/domain/pricing/defaultPriceTable.js';
import { type PriceTable, PriceTableSchema } from '../../../shared/domain/pricing/PriceTable.js';
import {
  findPriceEntry,
  type PriceRequestInput,
  priceRequest,
} from '../../../shared/domain/pricing/priceRequest.js';
import {
  type TokenUsage,
  tokenUsageFromResponse,
} from '../../../shared/domain/pricing/TokenUsage.js';

const at = new Date('2026-11-26T12:00:00Z');

const usageOf = (overrides: Partial<TokenUsage>): TokenUsage => ({
  inputTokens: 0,
  outputTokens: 0,
  cacheReadTokens: 0,
  cacheWrite5mTokens: 0,
  cacheWrite1hTokens: 0,
  serviceTier: null,
  inferenceGeo: null,
  ...overrides,
});

const price = (
  input: Partial<PriceRequestInput> & { usage: TokenUsage | null },
  table = defaultPriceTable,
) =>
  priceRequest(
    { provider: 'anthropic', model: 'claude-sonnet-4-6', lane: 'batch', at, ...input },
    table,
  );

const entry = (overrides: Record<string, unknown>) => ({
  model: 'm',
  effective_from: '2026-01-01',
  input: 1,
  output: 4,
  cache_write_5m: null,
  cache_write_1h: null,
  cache_read: 0.1,
  batch_discount: 0.5,
  batch_cache_rule: 'multiply',
  flex_rate: null,
  source: { url: 'https://example.com/pricing', retrieved: '2026-11-26' },
  ...overrides,
});

const tableOf = (entries: Record<string, unknown>[]): PriceTable =>
  PriceTableSchema.parse({ version: 'test', providers: { openai: entries } });

describe('Function: priceRequest()', () => {
  describe('Anthropic', () => {
    it('halves every category in a batch, 5 min and 1 h cache writes and cache reads included', () => {
      // Prepare
      const usage = usageOf({
        inputTokens: 1200,
        outputTokens: 300,
        cacheReadTokens: 2000,
        cacheWrite5mTokens: 1000,
        cacheWrite1hTokens: 500,
        serviceTier: 'batch',
      });

      // Act
      const cost = price({ model: 'claude-sonnet-4-6', lane: 'batch', usage });

      // Assess
      // standard: 1200 in × $3 + 300 out × $15 + 2000 read × $0.30 + 1000 5m-write × $3.75
      //   + 500 1h-write × $6 = 3600 + 4500 + 600 + 3750 + 3000 = $15450 per M = $0.01545
      // batch: everything × 0.5 = $0.007725
      expect(cost).toEqual({
        usd: 0.007725,
        realtime_usd: 0.01545,
        saved_usd: 0.007725,
        nano_usd: 7_725_000,
        realtime_nano_usd: 15_450_000,
        basis: 'usage',
        billed_as: 'batch',
        price_version: defaultPriceTable.version,
      });
    });

    it('bills a realtime request at standard prices, saving nothing', () => {
      const usage = usageOf({
        inputTokens: 1000,
        outputTokens: 200,
        cacheReadTokens: 500,
        cacheWrite5mTokens: 100,
        serviceTier: 'standard',
      });

      const cost = price({ model: 'claude-haiku-4-5', lane: 'realtime', usage });

      // 1000 in × $1 + 200 out × $5 + 500 read × $0.10 + 100 5m-write × $1.25
      //   = 1000 + 1000 + 50 + 125 = $2175 per M = $0.002175
      expect(cost.nano_usd).toBe(2_175_000);
      expect(cost.usd).toBe(0.002175);
      expect(cost.realtime_usd).toBe(0.002175);
      expect(cost.saved_usd).toBe(0);
      expect(cost.billed_as).toBe('standard');
    });

    it('adds 1.1× on every category, realtime included, when inference ran US-only', () => {
      const usage = usageOf({ inputTokens: 1000, outputTokens: 100, inferenceGeo: 'us' });

      const cost = price({ model: 'claude-sonnet-4-6', lane: 'batch', usage });

      // standard: (1000 in × $3 + 100 out × $15) × 1.1 = 4500 × 1.1 = $4950 per M = $0.00495
      // batch: × 0.5 = $0.002475
      expect(cost.realtime_nano_usd).toBe(4_950_000);
      expect(cost.nano_usd).toBe(2_475_000);
      expect(cost.saved_usd).toBe(0.002475);
    });

    it('adds nothing for global inference, or for a model with no geo pricing', () => {
      const usage = usageOf({ inputTokens: 1000, outputTokens: 100 });

      const global = price({ usage: { ...usage, inferenceGeo: 'global' } });
      const oldModel = price({
        model: 'claude-haiku-4-5',
        usage: { ...usage, inferenceGeo: 'us' },
      });

      // sonnet 4.6: (1000 × $3 + 100 × $15) × 0.5 = $2250 per M
      expect(global.nano_usd).toBe(2_250_000);
      // haiku 4.5: (1000 × $1 + 100 × $5) × 0.5 = $750 per M; no 1.1× listed for it
      expect(oldModel.nano_usd).toBe(750_000);
    });

    it('follows a batch result that reports it was served at standard prices', () => {
      const usage = usageOf({ inputTokens: 1000, outputTokens: 100, serviceTier: 'standard' });

      const cost = price({ lane: 'batch', usage });

      // 1000 × $3 + 100 × $15 = $4500 per M, no batch discount
      expect(cost.billed_as).toBe('standard');
      expect(cost.nano_usd).toBe(4_500_000);
      expect(cost.saved_usd).toBe(0);
    });

    it('leaves a priority-tier result unpriced: Anthropic lists no per-token priority price', () => {
      const usage = usageOf({ inputTokens: 1000, serviceTier: 'priority' });

      const cost = price({ lane: 'realtime', usage });

      expect(cost).toMatchObject({
        basis: 'unpriced_model',
        billed_as: 'priority',
        nano_usd: 0,
        realtime_nano_usd: 0,
        price_version: defaultPriceTable.version,
      });
    });
  });

  describe('OpenAI', () => {
    it('prices a chat batch with cached tokens in the Batch column, whatever service_tier says', () => {
      // Prepare: a batch output body says "default"; that is not standard billing
      const usage = tokenUsageFromResponse('openai', '/v1/chat/completions', {
        object: 'chat.completion',
        model: 'gpt-5-2025-08-07',
        usage: {
          prompt_tokens: 3000,
          completion_tokens: 500,
          total_tokens: 3500,
          prompt_tokens_details: { cached_tokens: 2048 },
        },
        service_tier: 'default',
      });

      // Act
      const cost = price({ provider: 'openai', model: 'gpt-5-2025-08-07', lane: 'batch', usage });

      // Assess
      // uncached = 3000 − 2048 = 952
      // batch: 952 × $0.625 + 2048 × $0.0625 + 500 × $5 = 595 + 128 + 2500 = $3223 per M
      // standard: 952 × $1.25 + 2048 × $0.125 + 500 × $10 = 1190 + 256 + 5000 = $6446 per M
      expect(cost).toMatchObject({
        billed_as: 'batch',
        nano_usd: 3_223_000,
        realtime_nano_usd: 6_446_000,
        usd: 0.003223,
        realtime_usd: 0.006446,
        saved_usd: 0.003223,
      });
    });

    it('bills cached tokens at the batch input price where the batch has no caching discount', () => {
      const usage = usageOf({ inputTokens: 976, cacheReadTokens: 1024, outputTokens: 100 });

      const cost = price({ provider: 'openai', model: 'gpt-4.1-mini', lane: 'batch', usage });

      // batch: 976 × $0.20 + 1024 × $0.20 + 100 × $0.80 = 195.2 + 204.8 + 80 = $480 per M
      // standard: 976 × $0.40 + 1024 × $0.10 + 100 × $1.60 = 390.4 + 102.4 + 160 = $652.8 per M
      expect(cost.nano_usd).toBe(480_000);
      expect(cost.realtime_nano_usd).toBe(652_800);
      expect(cost.saved_usd).toBe(0.0001728);
    });

    it('prices Responses API usage', () => {
      const usage = tokenUsageFromResponse('openai', '/v1/responses', {
        object: 'response',
        model: 'gpt-5-mini',
        usage: {
          input_tokens: 1500,
          input_tokens_details: { cached_tokens: 1024 },
          output_tokens: 400,
          output_tokens_details: { reasoning_tokens: 256 },
          total_tokens: 1900,
        },
        service_tier: 'default',
      });

      const cost = price({ provider: 'openai', model: 'gpt-5-mini', lane: 'realtime', usage });

      // 476 uncached × $0.25 + 1024 cached × $0.025 + 400 out × $2 = 119 + 25.6 + 800
      //   = $944.6 per M = $0.0009446
      expect(cost.nano_usd).toBe(944_600);
      expect(cost.usd).toBe(0.0009446);
      expect(cost.billed_as).toBe('standard');
    });

    it('prices embeddings on input alone', () => {
      const usage = tokenUsageFromResponse('openai', '/v1/embeddings', {
        object: 'list',
        data: [{ object: 'embedding', index: 0, embedding: [0.1, 0.2] }],
        model: 'text-embedding-3-small',
        usage: { prompt_tokens: 8000, total_tokens: 8000 },
      });

      const cost = price({
        provider: 'openai',
        model: 'text-embedding-3-small',
        lane: 'batch',
        usage,
      });

      // batch: 8000 × $0.02 × 0.5 = $80 per M = $0.00008; standard $160 per M = $0.00016
      expect(cost.nano_usd).toBe(80_000);
      expect(cost.realtime_nano_usd).toBe(160_000);
    });

    it('bills flex at the flex rate when the response reports flex, caching discount kept', () => {
      const usage = usageOf({
        inputTokens: 1000,
        cacheReadTokens: 1000,
        outputTokens: 1000,
        serviceTier: 'flex',
      });

      const cost = price({ provider: 'openai', model: 'gpt-5', lane: 'flex', usage });

      // standard: 1000 × $1.25 + 1000 × $0.125 + 1000 × $10 = $11375 per M
      // flex: × 0.5 = $5687.5 per M = $0.0056875
      expect(cost).toMatchObject({
        billed_as: 'flex',
        nano_usd: 5_687_500,
        realtime_nano_usd: 11_375_000,
        saved_usd: 0.0056875,
      });
    });

    it('bills a flex request downgraded to default at standard prices', () => {
      const usage = usageOf({
        inputTokens: 1000,
        cacheReadTokens: 1000,
        outputTokens: 1000,
        serviceTier: 'default',
      });

      const cost = price({ provider: 'openai', model: 'gpt-5', lane: 'flex', usage });

      // the same $11375 per M as realtime: nothing saved
      expect(cost).toMatchObject({
        billed_as: 'standard',
        nano_usd: 11_375_000,
        realtime_nano_usd: 11_375_000,
        saved_usd: 0,
      });
    });

    it('bills priority at the priority multiplier, a negative saving', () => {
      const usage = usageOf({ inputTokens: 1000, outputTokens: 1000, serviceTier: 'priority' });

      const cost = price({ provider: 'openai', model: 'gpt-5', lane: 'realtime', usage });

      // standard: 1000 × $1.25 + 1000 × $10 = $11250 per M; priority × 2 = $22500 per M
      expect(cost.billed_as).toBe('priority');
      expect(cost.nano_usd).toBe(22_500_000);
      expect(cost.saved_usd).toBe(-0.01125);
    });

    it('leaves flex unpriced for a model that has no flex price', () => {
      const usage = usageOf({ inputTokens: 1000, serviceTier: 'flex' });

      const cost = price({ provider: 'openai', model: 'gpt-4.1', lane: 'flex', usage });

      expect(cost).toMatchObject({ basis: 'unpriced_model', billed_as: 'flex', nano_usd: 0 });
    });
  });

  it('prices nothing when there is no usage', () => {
    expect(price({ usage: null })).toEqual({
      usd: 0,
      realtime_usd: 0,
      saved_usd: 0,
      nano_usd: 0,
      realtime_nano_usd: 0,
      basis: 'no_usage',
      billed_as: null,
      price_version: null,
    });
  });

  it('marks an unknown model as unpriced rather than free', () => {
    const cost = price({
      provider: 'openai',
      model: 'gpt-9-ultra',
      usage: usageOf({ inputTokens: 1000 }),
    });

    expect(cost).toEqual({
      usd: 0,
      realtime_usd: 0,
      saved_usd: 0,
      nano_usd: 0,
      realtime_nano_usd: 0,
      basis: 'unpriced_model',
      billed_as: null,
      price_version: defaultPriceTable.version,
    });
  });

  it('marks output tokens on a model with no output price as unpriced', () => {
    const cost = price({
      provider: 'openai',
      model: 'text-embedding-3-large',
      usage: usageOf({ inputTokens: 10, outputTokens: 5 }),
    });

    expect(cost.basis).toBe('unpriced_model');
  });

  it('keeps cached tokens at the non-batch cache price under cache_price_unchanged', () => {
    const table = tableOf([entry({ batch_cache_rule: 'cache_price_unchanged' })]);
    const usage = usageOf({ inputTokens: 1000, cacheReadTokens: 1000, outputTokens: 100 });

    const cost = price({ provider: 'openai', model: 'm', usage }, table);

    // batch: 1000 in × $1 × 0.5 + 1000 cached × $0.10 (unchanged) + 100 out × $4 × 0.5
    //   = 500 + 100 + 200 = $800 per M
    // standard: 1000 + 100 + 400 = $1500 per M
    expect(cost.nano_usd).toBe(800_000);
    expect(cost.realtime_nano_usd).toBe(1_500_000);
  });

  it('sums exactly and rounds once, to the nano-dollar', () => {
    const table = tableOf([entry({ input: 0.0015, output: 0.0025 })]);
    const usage = usageOf({ inputTokens: 1, outputTokens: 1 });

    const cost = price({ provider: 'openai', model: 'm', lane: 'realtime', usage }, table);

    // 1 × $0.0015 per M = 1.5 nano, 1 × $0.0025 per M = 2.5 nano: 4 nano in all
    // (rounding each term first would give 2 + 3 = 5)
    expect(cost.nano_usd).toBe(4);
    expect(cost.usd).toBe(4e-9);
  });

  it('rounds half a nano-dollar up', () => {
    const usage = usageOf({ cacheReadTokens: 1 });

    const cost = price({ provider: 'openai', model: 'gpt-5-mini', lane: 'batch', usage });

    // 1 cached token × $0.0125 per M = 12.5 nano → 13; standard 1 × $0.025 per M = 25 nano
    expect(cost.nano_usd).toBe(13);
    expect(cost.realtime_nano_usd).toBe(25);
    expect(cost.saved_usd).toBe(1.2e-8);
  });

  it('prices a multiplier that is not a short decimal without float drift', () => {
    const usage = usageOf({
      inputTokens: 1_000_000,
      outputTokens: 1_000_000,
      serviceTier: 'priority',
    });

    const cost = price({ provider: 'openai', model: 'gpt-4o-mini', lane: 'realtime', usage });

    // priority list price $0.25 in + $1.00 out per M = $1.25 (5/3 of $0.15 + $0.60)
    expect(cost.nano_usd).toBe(1_250_000_000);
    expect(cost.usd).toBe(1.25);
  });

  it('refuses an invalid date', () => {
    expect(() => price({ usage: usageOf({ inputTokens: 1 }), at: new Date('nope') })).toThrow(
      InvalidInputError,
    );
  });
});

describe('Function: findPriceEntry()', () => {
  it.each([
    ['openai', 'gpt-4o-mini-2024-07-18', 'gpt-4o-mini'],
    ['openai', 'gpt-4o-2024-11-20', 'gpt-4o'],
    ['openai', 'gpt-5-2025-08-07', 'gpt-5'],
    ['openai', 'gpt-5-mini-2025-08-07', 'gpt-5-mini'],
    ['openai', 'gpt-4.1-mini-2025-04-14', 'gpt-4.1-mini'],
    ['anthropic', 'claude-sonnet-4-6-20260101', 'claude-sonnet-4-6'],
    ['anthropic', 'claude-sonnet-4-5-20250929', 'claude-sonnet-4-5'],
    ['anthropic', 'claude-haiku-4-5-20251001', 'claude-haiku-4-5'],
  ])('resolves %s %s to the %s entry', (provider, model, family) => {
    expect(findPriceEntry(defaultPriceTable, provider, model, at)?.model).toBe(family);
  });

  it('does not price a snapshot the family entry leaves out, nor a lookalike id', () => {
    // gpt-4o-2024-05-13 had a higher price of its own; gpt-5-nano is a different model
    expect(findPriceEntry(defaultPriceTable, 'openai', 'gpt-4o-2024-05-13', at)).toBeNull();
    expect(findPriceEntry(defaultPriceTable, 'openai', 'gpt-5-nano', at)).toBeNull();
    expect(findPriceEntry(defaultPriceTable, 'anthropic', 'gpt-5', at)).toBeNull();
  });

  it('lets the longest matching prefix win', () => {
    const table = tableOf([
      entry({ model: 'foo', match: ['foo-'], input: 1 }),
      entry({ model: 'foo-mini', match: ['foo-mini-'], input: 0.1 }),
    ]);

    expect(findPriceEntry(table, 'openai', 'foo-mini-2026-01-01', at)?.model).toBe('foo-mini');
    expect(findPriceEntry(table, 'openai', 'foo-2026-01-01', at)?.model).toBe('foo');
  });

  it('picks the entry effective on the day of the request', () => {
    const table = tableOf([
      entry({ model: 'm', effective_from: '2026-01-01', input: 1 }),
      entry({ model: 'm', effective_from: '2026-06-01', input: 2 }),
    ]);
    const usage = usageOf({ inputTokens: 1000 });
    const priceAt = (iso: string) =>
      priceRequest(
        { provider: 'openai', model: 'm', lane: 'realtime', usage, at: new Date(iso) },
        table,
      );

    // 1000 × $1 = $1000 per M before June; 1000 × $2 = $2000 per M from June 1 (UTC)
    expect(priceAt('2026-05-31T23:59:59Z').nano_usd).toBe(1_000_000);
    expect(priceAt('2026-06-01T00:00:00Z').nano_usd).toBe(2_000_000);
    expect(priceAt('2025-12-31T23:59:59Z').basis).toBe('unpriced_model');
  });
});
