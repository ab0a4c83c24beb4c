import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../shared/domain/errors.js';
import { defaultPriceTable } from '../../../shared/domain/pricing/defaultPriceTable.js';
import { resolvePriceTable } from '../../../shared/domain/pricing/loadPriceTable.js';
import { findPriceEntry, priceRequest } from '../../../shared/domain/pricing/priceRequest.js';

const at = new Date('2026-11-26T12:00:00Z');

const openaiEntry = (overrides: Record<string, unknown> = {}) => ({
  model: 'gpt-4o-mini',
  match: ['gpt-4o-mini-2024-07-18'],
  effective_from: '2024-07-18',
  input: 0.1,
  output: 0.4,
  cache_write_5m: null,
  cache_write_1h: null,
  cache_read: 0.05,
  batch_discount: 0.5,
  batch_cache_rule: 'batch_cached_rate',
  batch_cache_read: 0.025,
  flex_rate: null,
  source: { url: 'https://example.com/negotiated', retrieved: '2026-11-20' },
  ...overrides,
});

const override = (entries: Record<string, unknown>[], provider = 'openai') => ({
  version: 'acme-1',
  providers: { [provider]: entries },
});

/** The InvalidInputError `fn` throws, to check its code and path. */
const errorOf = (fn: () => unknown): InvalidInputError => {
  try {
    fn();
  } catch (error) {
    if (error instanceof InvalidInputError) return error;
    throw error;
  }
  throw new Error('expected an InvalidInputError');
};

describe('Function: resolvePriceTable()', () => {
  it('returns the shipped table when there is no override', () => {
    const table = resolvePriceTable(defaultPriceTable, undefined);

    expect(table).toEqual(defaultPriceTable);
  });

  it('replaces the shipped entry of the same provider, model and effective_from', () => {
    const table = resolvePriceTable(defaultPriceTable, override([openaiEntry()]));
    const usage = {
      inputTokens: 1000,
      outputTokens: 1000,
      cacheReadTokens: 0,
      cacheWrite5mTokens: 0,
      cacheWrite1hTokens: 0,
      serviceTier: null,
      inferenceGeo: null,
    };

    const cost = priceRequest(
      { provider: 'openai', model: 'gpt-4o-mini', lane: 'realtime', usage, at },
      table,
    );

    // 1000 × $0.10 + 1000 × $0.40 = $500 per M (the shipped price would be $750 per M)
    expect(cost.nano_usd).toBe(500_000);
    expect(cost.price_version).toBe(`${defaultPriceTable.version}+acme-1`);
    expect(table.providers['openai']?.filter((e) => e.model === 'gpt-4o-mini')).toHaveLength(1);
  });

  it('adds new models, new providers and later prices of shipped models', () => {
    const table = resolvePriceTable(
      defaultPriceTable,
      JSON.stringify({
        version: 'acme-2',
        providers: {
          openai: [
            openaiEntry({ model: 'gpt-5-nano', match: [], effective_from: '2025-08-07' }),
            openaiEntry({ effective_from: '2026-12-01' }),
          ],
          gemini: [
            openaiEntry({
              model: 'gemini-2.5-flash',
              match: [],
              effective_from: '2025-06-17',
              batch_cache_rule: 'cache_price_unchanged',
            }),
          ],
        },
      }),
    );

    expect(findPriceEntry(table, 'openai', 'gpt-5-nano', at)?.input).toBe(0.1);
    expect(findPriceEntry(table, 'gemini', 'gemini-2.5-flash', at)?.input).toBe(0.1);
    // The shipped gpt-4o-mini price holds until the override's day comes
    expect(findPriceEntry(table, 'openai', 'gpt-4o-mini', at)?.input).toBe(0.15);
    expect(
      findPriceEntry(table, 'openai', 'gpt-4o-mini', new Date('2026-12-01T00:00:00Z'))?.input,
    ).toBe(0.1);
  });

  it.each([
    ['a missing price', [openaiEntry({ input: undefined })], 'providers.openai[0].input'],
    ['a negative price', [openaiEntry({ output: -1 })], 'providers.openai[0].output'],
    ['a misspelt field', [openaiEntry({ inptu: 1 })], 'providers.openai[0]'],
    [
      'a discount above 1',
      [openaiEntry({ batch_discount: 2 })],
      'providers.openai[0].batch_discount',
    ],
    [
      'an unknown cache rule',
      [openaiEntry({ batch_cache_rule: 'stack' })],
      'providers.openai[0].batch_cache_rule',
    ],
    [
      'a batch_cached_rate entry without batch_cache_read',
      [openaiEntry({ batch_cache_read: undefined })],
      'providers.openai[0].batch_cache_read',
    ],
    [
      'a date that is not a day',
      [openaiEntry({ effective_from: 'soon' })],
      'providers.openai[0].effective_from',
    ],
    [
      'a source without a URL',
      [openaiEntry({ source: { url: 'not a url', retrieved: '2026-11-20' } })],
      'providers.openai[0].source.url',
    ],
    [
      'a source without a date',
      [openaiEntry({ source: { url: 'https://example.com/' } })],
      'providers.openai[0].source.retrieved',
    ],
    [
      'two entries for the same model and day',
      [openaiEntry(), openaiEntry()],
      'providers.openai[1].effective_from',
    ],
  ])('refuses %s, naming its path', (_label, entries, path) => {
    const error = errorOf(() => resolvePriceTable(defaultPriceTable, override(entries)));

    expect(error.code).toBe('invalid_price_table');
    expect(error.details['path']).toBe(path);
    expect(error.message).toContain(path);
  });

  it.each([
    ['text that is not JSON', '{"version":', '(root)'],
    ['a value that is not an object', 42, '(root)'],
    ['a table without a version', { providers: {} }, 'version'],
    [
      'providers that are not lists',
      { version: 'x', providers: { openai: {} } },
      'providers.openai',
    ],
  ])('refuses %s', (_label, value, path) => {
    const error = errorOf(() => resolvePriceTable(defaultPriceTable, value));

    expect(error.details['path']).toBe(path);
  });
});
