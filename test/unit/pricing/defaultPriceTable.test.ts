import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultPriceTable } from '../../../shared/domain/pricing/defaultPriceTable.js';
import { findPriceEntry } from '../../../shared/domain/pricing/priceRequest.js';

const entries = Object.entries(defaultPriceTable.providers).flatMap(([provider, list]) =>
  list.map((entry) => ({ provider, entry })),
);

const examples = readFileSync(new URL('../../../examples/requests.jsonl', import.meta.url), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as { provider: string; model?: string; body: { model?: string } })
  // Bedrock names the model beside the body.
  .map((line) => ({ ...line, body: { model: line.model ?? line.body.model ?? '' } }));

/** Price × factor, compared at a millionth of a cent per million tokens. */
const times = (price: number, factor: number): number => Math.round(price * factor * 1e8) / 1e8;

describe('Constant: defaultPriceTable', () => {
  it.each(entries.map(({ provider, entry }) => [`${provider} ${entry.model}`, entry]))(
    'cites a source URL and the day it was read for %s',
    (_label, entry) => {
      expect(new URL(entry.source.url).protocol).toBe('https:');
      expect(entry.source.retrieved).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(entry.source.retrieved <= defaultPriceTable.version).toBe(true);
    },
  );

  it('prices every model the examples send', () => {
    const at = new Date(`${defaultPriceTable.version}T12:00:00Z`);
    const models = [...new Set(examples.map((line) => `${line.provider} ${line.body.model}`))];

    const unpriced = models.filter((key) => {
      const [provider = '', model = ''] = key.split(' ');
      return findPriceEntry(defaultPriceTable, provider, model, at) === null;
    });

    expect(models.length).toBeGreaterThan(0);
    expect(unpriced).toEqual([]);
  });

  it('keeps the published OpenAI figures: gpt-4o $2.50 / $1.25 cached, gpt-5 $1.25 / $0.125', () => {
    const at = new Date(`${defaultPriceTable.version}T12:00:00Z`);
    const gpt4o = findPriceEntry(defaultPriceTable, 'openai', 'gpt-4o', at);
    const gpt5 = findPriceEntry(defaultPriceTable, 'openai', 'gpt-5', at);

    expect([gpt4o?.input, gpt4o?.cache_read]).toEqual([2.5, 1.25]);
    expect([gpt5?.input, gpt5?.cache_read]).toEqual([1.25, 0.125]);
  });

  it.each(
    entries
      .filter(({ provider }) => provider === 'anthropic')
      .map(({ entry }) => [entry.model, entry]),
  )('gives %s the cache multipliers and batch discount Anthropic documents', (_model, entry) => {
    // 5 min write 1.25×, 1 h write 2×, read 0.1× of input; batch 50% of everything
    expect(entry.cache_write_5m).toBe(times(entry.input, 1.25));
    expect(entry.cache_write_1h).toBe(times(entry.input, 2));
    expect(entry.cache_read).toBe(times(entry.input, 0.1));
    expect(entry.batch_discount).toBe(0.5);
    expect(entry.batch_cache_rule).toBe('multiply');
  });
});
