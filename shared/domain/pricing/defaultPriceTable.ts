import { type PriceTable, type PriceTableInput, PriceTableSchema } from './PriceTable.js';
import { PROFILE_PRICES } from './profilePrices.js';

/*
 * List prices in USD per million tokens, each entry citing where it was read. Prices change:
 * add an entry with a later `effective_from` rather than editing one, so past costs keep the
 * price they were billed at. Deployments can override or extend this table without a release
 * (see resolvePriceTable).
 *
 * Not modelled: long-context surcharges (Claude Sonnet 4.5 above 200K input tokens) and server
 * tool fees (web search), billed on top of tokens.
 */

const ANTHROPIC_PRICES = {
  url: 'https://github.com/pydantic/genai-prices/blob/47df840a5ab10bbcffb8e5ac01b9899032245d1b/prices/providers/anthropic.yml',
  retrieved: '2026-11-26',
  note:
    'Anthropic list prices (https://www.anthropic.com/pricing#api) as recorded there, ' +
    'prices_checked 2026-07-29. Cache writes 1.25x (5 min) and 2x (1 h), reads 0.1x of input: ' +
    'https://platform.claude.com/docs/en/build-with-claude/prompt-caching#pricing. Batch: 50% ' +
    'of every category, cache writes and reads included: ' +
    'https://platform.claude.com/docs/en/build-with-claude/batch-processing#pricing.',
} as const;

const ANTHROPIC_GEO_NOTE =
  ' inference_geo "us" (Claude Opus 4.6, Sonnet 4.6 and later) costs 1.1x on every category: ' +
  'https://platform.claude.com/docs/en/build-with-claude/data-residency, ' +
  'https://docs.aws.amazon.com/claude-platform/latest/userguide/data-residency.html.';

const OPENAI_PRICES = {
  url: 'https://github.com/pydantic/genai-prices/blob/47df840a5ab10bbcffb8e5ac01b9899032245d1b/prices/providers/openai.yml',
  retrieved: '2026-11-26',
  note:
    'OpenAI standard prices (https://developers.openai.com/api/docs/pricing) as recorded there ' +
    '(gpt-4.1 and gpt-4o families and embeddings checked 2025-07-04, gpt-5 family 2025-11-13). ' +
    'Batch API: 50% of input and output. Priority: https://openai.com/api-priority-processing/ ' +
    '(read 2026-11-26).',
} as const;

const OPENAI_FLEX_NOTE =
  ' Flex: Batch API rates with prompt-caching discounts kept ' +
  '(https://developers.openai.com/api/docs/guides/flex-processing); gpt-5 family flex-capable. ' +
  'Batch cached input: half the cached price, as for flex.';

const OPENAI_NO_FLEX_NOTE =
  ' No flex tier. Batch cached input: no caching discount assumed in a batch (OpenAI prompt ' +
  'caching FAQ: "not available on the Batch API"; newer signals disagree, so this errs high).';

const BEDROCK_NOVA_PRICES = {
  url: 'https://github.com/pydantic/genai-prices/blob/29eac95f137e767d1251d6099c99e9583d5fc8c7/prices/providers/aws.yml',
  retrieved: '2026-12-06',
  note:
    'Amazon Bedrock on-demand prices (https://aws.amazon.com/bedrock/pricing/) as recorded ' +
    'there. Batch inference: 50% of on-demand for the models that offer it ' +
    '(https://docs.aws.amazon.com/bedrock/latest/userguide/batch-inference.html; AWS ML Blog, ' +
    'Oct 2024). Prompt-cache prices are not recorded there: cached tokens bill at the input price.',
} as const;

const BEDROCK_CLAUDE_PRICES = {
  url: 'https://aws.amazon.com/bedrock/pricing/',
  retrieved: '2026-12-06',
  note:
    "Claude on Bedrock at Anthropic's per-token list prices (same figures as the anthropic " +
    'entries above), in-Region and global inference profiles alike; the 10% premium some ' +
    'newer models carry on geographic (us./eu.) profiles is not modelled. Batch: 50% of ' +
    'on-demand (https://docs.aws.amazon.com/bedrock/latest/userguide/batch-inference.html); ' +
    'cache writes 1.25x and reads 0.1x of input as on the Anthropic API.',
} as const;

/** Bedrock: half price in batch, no flex or priority list price in this table. */
const bedrock = {
  batch_discount: 0.5,
  batch_cache_rule: 'multiply',
  flex_rate: null,
  priority_multiplier: null,
  cache_write_1h: null,
} as const;

const GEMINI_PRICES = {
  url: 'https://github.com/pydantic/genai-prices/blob/0b2c115b3b501da6afb2e61552d2fcd081a11e66/prices/providers/google.yml',
  retrieved: '2026-12-06',
  note:
    'Gemini Developer API list prices (https://ai.google.dev/gemini-api/docs/pricing) as ' +
    'recorded there, prompts up to 200K tokens (the long-context price above is not modelled). ' +
    'Batch Mode: 50% of standard, and a cache hit in a batch is billed at the non-batch cache ' +
    'price: the two discounts do not stack ' +
    '(https://ai.google.dev/gemini-api/docs/batch-mode). Flex: 50% of standard ' +
    '(https://ai.google.dev/gemini-api/docs/flex-inference). Implicit caching has no write fee; ' +
    'explicit caches are billed by storage hours, which are not per request.',
} as const;

const gemini = {
  batch_discount: 0.5,
  batch_cache_rule: 'cache_price_unchanged',
  cache_write_5m: null,
  cache_write_1h: null,
  flex_rate: 0.5,
  source: GEMINI_PRICES,
} as const;

const MISTRAL_PRICES = {
  url: 'https://github.com/pydantic/genai-prices/blob/03c250d316ce597028bad0954f3ad3fb4f45b0f1/prices/providers/mistral.yml',
  retrieved: '2026-12-06',
  note:
    'Mistral API list prices (https://mistral.ai/pricing#api-pricing) as recorded there. ' +
    'Batch: "a 50% discount" (https://docs.mistral.ai/capabilities/batch/). Whether cached ' +
    'input is discounted again in a batch is not documented: the batch discount is applied to ' +
    'the cache price as well. No flex tier; no cache-write fee.',
} as const;

/** Mistral: half price in batch, no flex or priority tier. */
const mistral = {
  batch_discount: 0.5,
  batch_cache_rule: 'multiply',
  cache_write_5m: null,
  cache_write_1h: null,
  flex_rate: null,
  priority_multiplier: null,
  source: MISTRAL_PRICES,
} as const;

/** Rounds away binary noise (3 × 0.1) so a derived price reads as the list price it is. */
const listPrice = (value: number): number => Math.round(value * 1e6) / 1e6;

/**
 * Anthropic prices prompt caching as multiples of a model's base input price: a 5-minute
 * cache write 1.25×, a 1-hour write 2×, a cache read 0.1×.
 */
const claudeRates = (input: number, output: number) => ({
  input,
  output,
  cache_write_5m: listPrice(input * 1.25),
  cache_write_1h: listPrice(input * 2),
  cache_read: listPrice(input * 0.1),
});

const anthropic = {
  batch_discount: 0.5,
  batch_cache_rule: 'multiply',
  flex_rate: null,
  // Anthropic's Priority Tier is sold by commitment, with no per-token list price.
  priority_multiplier: null,
} as const;

const openai = {
  batch_discount: 0.5,
  batch_cache_rule: 'batch_cached_rate',
  cache_write_5m: null,
  cache_write_1h: null,
} as const;

const DEEPSEEK_PRICES = {
  url: 'https://api-docs.deepseek.com/quick_start/pricing',
  retrieved: '2026-12-06',
  note:
    'DeepSeek list prices in USD; input is the cache-miss price, cache_read the cache-hit ' +
    'price. From 2026-08-16 16:00 UTC the listed price is the peak price and off-peak hours ' +
    'bill half (off_peak_rate); the hours are the off_peak calendar below. Entries start on ' +
    'whole UTC days, so the peak prices of 2026-08-17 on also cover 16:00-24:00 UTC of 08-16.',
} as const;

const DEEPSEEK_2025_PRICES = {
  url: 'https://api-docs.deepseek.com/news/news250226',
  retrieved: '2026-12-06',
  note:
    'Nighttime discount 2025-02-26 to 2025-09-05: deepseek-chat 50% off, deepseek-reasoner 75% ' +
    'off in 16:30-00:30 UTC; flat V3.1 prices from 2025-09-05 16:00 UTC.',
} as const;

/** DeepSeek: no batch API (no batch discount), no flex tier; off-peak hours instead. */
const deepseek = {
  batch_discount: 1,
  batch_cache_rule: 'multiply',
  flex_rate: null,
  priority_multiplier: null,
  cache_write_5m: null,
  cache_write_1h: null,
  source: DEEPSEEK_PRICES,
} as const;

/** The 2026 peak hours (01:00-04:00 and 06:00-10:00 UTC) as Beijing-time off-peak hours. */
const DEEPSEEK_2026_HOURS = [
  { from: '00:00', to: '09:00' },
  { from: '12:00', to: '14:00' },
  { from: '18:00', to: '24:00' },
];

const rawDefaultPriceTable: PriceTableInput = {
  version: '2026-12-06',
  providers: {
    anthropic: [
      {
        ...anthropic,
        model: 'claude-opus-4-1',
        match: ['claude-opus-4-1-20'],
        effective_from: '2025-08-05',
        ...claudeRates(15, 75),
        source: ANTHROPIC_PRICES,
      },
      {
        ...anthropic,
        model: 'claude-opus-4-5',
        match: ['claude-opus-4-5-20'],
        effective_from: '2025-11-01',
        ...claudeRates(5, 25),
        source: ANTHROPIC_PRICES,
      },
      {
        ...anthropic,
        model: 'claude-opus-4-6',
        match: ['claude-opus-4-6-20'],
        effective_from: '2026-02-05',
        ...claudeRates(5, 25),
        geo_multipliers: { us: 1.1 },
        source: { ...ANTHROPIC_PRICES, note: ANTHROPIC_PRICES.note + ANTHROPIC_GEO_NOTE },
      },
      {
        ...anthropic,
        model: 'claude-sonnet-4-5',
        match: ['claude-sonnet-4-5-20'],
        effective_from: '2025-09-29',
        ...claudeRates(3, 15),
        source: ANTHROPIC_PRICES,
      },
      {
        ...anthropic,
        model: 'claude-sonnet-4-6',
        match: ['claude-sonnet-4-6-20'],
        effective_from: '2026-02-17',
        ...claudeRates(3, 15),
        geo_multipliers: { us: 1.1 },
        source: { ...ANTHROPIC_PRICES, note: ANTHROPIC_PRICES.note + ANTHROPIC_GEO_NOTE },
      },
      {
        ...anthropic,
        model: 'claude-haiku-4-5',
        match: ['claude-haiku-4-5-20'],
        effective_from: '2025-10-01',
        ...claudeRates(1, 5),
        source: ANTHROPIC_PRICES,
      },
    ],
    openai: [
      {
        ...openai,
        model: 'gpt-5',
        match: ['gpt-5-20'],
        effective_from: '2025-08-07',
        input: 1.25,
        output: 10,
        cache_read: 0.125,
        batch_cache_read: 0.0625,
        flex_rate: 0.5,
        // Priority $2.50 / $0.25 cached / $20.
        priority_multiplier: 2,
        source: { ...OPENAI_PRICES, note: OPENAI_PRICES.note + OPENAI_FLEX_NOTE },
      },
      {
        ...openai,
        model: 'gpt-5-mini',
        match: ['gpt-5-mini-20'],
        effective_from: '2025-08-07',
        input: 0.25,
        output: 2,
        cache_read: 0.025,
        batch_cache_read: 0.0125,
        flex_rate: 0.5,
        // Priority $0.45 / $0.045 cached / $3.60.
        priority_multiplier: 1.8,
        source: { ...OPENAI_PRICES, note: OPENAI_PRICES.note + OPENAI_FLEX_NOTE },
      },
      {
        ...openai,
        model: 'gpt-4.1',
        match: ['gpt-4.1-20'],
        effective_from: '2025-04-14',
        input: 2,
        output: 8,
        cache_read: 0.5,
        batch_cache_read: null,
        flex_rate: null,
        // Priority $3.50 / $0.875 cached / $14.
        priority_multiplier: 1.75,
        source: { ...OPENAI_PRICES, note: OPENAI_PRICES.note + OPENAI_NO_FLEX_NOTE },
      },
      {
        ...openai,
        model: 'gpt-4.1-mini',
        match: ['gpt-4.1-mini-20'],
        effective_from: '2025-04-14',
        input: 0.4,
        output: 1.6,
        cache_read: 0.1,
        batch_cache_read: null,
        flex_rate: null,
        // Priority $0.70 / $0.175 cached / $2.80.
        priority_multiplier: 1.75,
        source: { ...OPENAI_PRICES, note: OPENAI_PRICES.note + OPENAI_NO_FLEX_NOTE },
      },
      {
        ...openai,
        model: 'gpt-4o',
        // Not gpt-4o-2024-05-13, which kept its own higher price.
        match: ['gpt-4o-2024-08-06', 'gpt-4o-2024-11-20'],
        // The gpt-4o alias moved to the 2024-08-06 snapshot's price on this day.
        effective_from: '2024-10-02',
        input: 2.5,
        output: 10,
        cache_read: 1.25,
        batch_cache_read: null,
        flex_rate: null,
        // Priority $4.25 / $2.125 cached / $17.
        priority_multiplier: 1.7,
        source: { ...OPENAI_PRICES, note: OPENAI_PRICES.note + OPENAI_NO_FLEX_NOTE },
      },
      {
        ...openai,
        model: 'gpt-4o-mini',
        match: ['gpt-4o-mini-2024-07-18'],
        effective_from: '2024-07-18',
        input: 0.15,
        output: 0.6,
        cache_read: 0.075,
        batch_cache_read: null,
        flex_rate: null,
        // Priority $0.25 / $0.125 cached / $1.00: 5/3 of standard.
        priority_multiplier: 5 / 3,
        source: { ...OPENAI_PRICES, note: OPENAI_PRICES.note + OPENAI_NO_FLEX_NOTE },
      },
      {
        ...openai,
        model: 'text-embedding-3-small',
        effective_from: '2024-01-25',
        input: 0.02,
        output: null,
        cache_read: null,
        batch_cache_read: null,
        flex_rate: null,
        source: OPENAI_PRICES,
      },
      {
        ...openai,
        model: 'text-embedding-3-large',
        effective_from: '2024-01-25',
        input: 0.13,
        output: null,
        cache_read: null,
        batch_cache_read: null,
        flex_rate: null,
        source: OPENAI_PRICES,
      },
    ],
    // Keyed by Bedrock model id; inference profile ids and ARNs are priced by the model they
    // name (see findPriceEntry).
    bedrock: [
      {
        ...bedrock,
        model: 'anthropic.claude-haiku-4-5',
        match: ['anthropic.claude-haiku-4-5-'],
        effective_from: '2025-10-15',
        input: 1,
        output: 5,
        cache_write_5m: 1.25,
        cache_read: 0.1,
        source: BEDROCK_CLAUDE_PRICES,
      },
      {
        ...bedrock,
        model: 'anthropic.claude-sonnet-4-5',
        match: ['anthropic.claude-sonnet-4-5-'],
        effective_from: '2025-09-29',
        input: 3,
        output: 15,
        cache_write_5m: 3.75,
        cache_read: 0.3,
        source: BEDROCK_CLAUDE_PRICES,
      },
      {
        ...bedrock,
        model: 'amazon.nova-micro-v1',
        match: ['amazon.nova-micro-v1:'],
        effective_from: '2024-12-03',
        input: 0.035,
        output: 0.14,
        cache_write_5m: null,
        cache_read: null,
        source: BEDROCK_NOVA_PRICES,
      },
      {
        ...bedrock,
        model: 'amazon.nova-lite-v1',
        match: ['amazon.nova-lite-v1:'],
        effective_from: '2024-12-03',
        input: 0.06,
        output: 0.24,
        cache_write_5m: null,
        cache_read: null,
        source: BEDROCK_NOVA_PRICES,
      },
      {
        ...bedrock,
        model: 'amazon.nova-pro-v1',
        match: ['amazon.nova-pro-v1:'],
        effective_from: '2024-12-03',
        input: 0.8,
        output: 3.2,
        cache_write_5m: null,
        cache_read: null,
        source: BEDROCK_NOVA_PRICES,
      },
    ],
    deepseek: [
      {
        ...deepseek,
        model: 'deepseek-chat',
        effective_from: '2025-02-26',
        input: 0.27,
        output: 1.1,
        cache_read: 0.07,
        off_peak_rate: 0.5,
        source: DEEPSEEK_2025_PRICES,
      },
      {
        ...deepseek,
        model: 'deepseek-chat',
        effective_from: '2025-09-05',
        input: 0.56,
        output: 1.68,
        cache_read: 0.07,
        off_peak_rate: null,
        source: DEEPSEEK_2025_PRICES,
      },
      {
        ...deepseek,
        model: 'deepseek-reasoner',
        effective_from: '2025-02-26',
        input: 0.55,
        output: 2.19,
        cache_read: 0.14,
        off_peak_rate: 0.25,
        source: DEEPSEEK_2025_PRICES,
      },
      {
        ...deepseek,
        model: 'deepseek-reasoner',
        effective_from: '2025-09-05',
        input: 0.56,
        output: 1.68,
        cache_read: 0.07,
        off_peak_rate: null,
        source: DEEPSEEK_2025_PRICES,
      },
      {
        ...deepseek,
        model: 'deepseek-v4-flash',
        effective_from: '2026-07-31',
        input: 0.14,
        output: 0.28,
        cache_read: 0.0028,
        off_peak_rate: null,
      },
      {
        ...deepseek,
        model: 'deepseek-v4-flash',
        effective_from: '2026-08-17',
        input: 0.44,
        output: 1.32,
        cache_read: 0.014,
        off_peak_rate: 0.5,
      },
      {
        // The retired name is served by V4.1-Flash at its price.
        ...deepseek,
        model: 'deepseek-v4-flash',
        effective_from: '2026-09-10',
        input: 0.3,
        output: 1.2,
        cache_read: 0.006,
        off_peak_rate: 0.5,
      },
      {
        ...deepseek,
        model: 'deepseek-flash',
        effective_from: '2026-09-10',
        input: 0.3,
        output: 1.2,
        cache_read: 0.006,
        off_peak_rate: 0.5,
      },
      {
        ...deepseek,
        model: 'deepseek-v4-pro',
        effective_from: '2026-08-13',
        input: 0.435,
        output: 0.87,
        cache_read: 0.003625,
        off_peak_rate: null,
      },
      {
        ...deepseek,
        model: 'deepseek-v4-pro',
        effective_from: '2026-08-17',
        input: 1.32,
        output: 3.96,
        cache_read: 0.044,
        off_peak_rate: 0.5,
      },
    ],
    gemini: [
      {
        ...gemini,
        model: 'gemini-2.5-pro',
        effective_from: '2025-06-17',
        input: 1.25,
        output: 10,
        cache_read: 0.31,
      },
      {
        ...gemini,
        model: 'gemini-2.5-flash',
        effective_from: '2025-06-17',
        input: 0.3,
        output: 2.5,
        cache_read: 0.075,
      },
      {
        ...gemini,
        model: 'gemini-2.0-flash',
        match: ['gemini-2.0-flash-0'],
        effective_from: '2025-02-05',
        input: 0.1,
        output: 0.4,
        // No cache price recorded: cached tokens are billed as input.
        cache_read: null,
      },
    ],
    mistral: [
      // Mistral Small 3.2 behind the alias.
      {
        ...mistral,
        model: 'mistral-small-latest',
        effective_from: '2025-06-20',
        input: 0.1,
        output: 0.3,
        cache_read: null,
      },
      // The alias named Mistral Medium 3 and 3.1, then Medium 3.5 from 2026-06-16.
      {
        ...mistral,
        model: 'mistral-medium-latest',
        effective_from: '2025-05-07',
        input: 0.4,
        output: 2,
        cache_read: 0.04,
      },
      {
        ...mistral,
        model: 'mistral-medium-latest',
        effective_from: '2026-06-16',
        input: 1.5,
        output: 7.5,
        cache_read: 0.15,
      },
      {
        ...mistral,
        model: 'mistral-large-2512',
        effective_from: '2025-12-02',
        input: 0.5,
        output: 1.5,
        cache_read: 0.05,
      },
      {
        ...mistral,
        model: 'codestral-latest',
        match: ['codestral-2501', 'codestral-2508'],
        effective_from: '2025-01-13',
        input: 0.3,
        output: 0.9,
        cache_read: null,
      },
      {
        ...mistral,
        model: 'ministral-8b-latest',
        effective_from: '2024-10-16',
        input: 0.1,
        output: 0.1,
        cache_read: null,
      },
      {
        ...mistral,
        model: 'ministral-8b-latest',
        effective_from: '2025-12-02',
        input: 0.15,
        output: 0.15,
        cache_read: 0.015,
      },
      {
        ...mistral,
        model: 'mistral-embed',
        effective_from: '2023-12-11',
        input: 0.1,
        output: null,
        cache_read: null,
      },
    ],
    ...PROFILE_PRICES,
  },
  off_peak: {
    deepseek: [
      {
        effective_from: '2025-02-26T00:00:00+08:00',
        time_zone: 'Asia/Shanghai',
        hours: [{ from: '00:30', to: '08:30' }],
        source: DEEPSEEK_2025_PRICES,
      },
      {
        // The nighttime discount was cancelled: no off-peak hours until 2026-08-16.
        effective_from: '2025-09-05T16:00:00Z',
        time_zone: 'Asia/Shanghai',
        hours: [],
        source: DEEPSEEK_2025_PRICES,
      },
      {
        effective_from: '2026-08-16T16:00:00Z',
        time_zone: 'Asia/Shanghai',
        hours: DEEPSEEK_2026_HOURS,
        source: DEEPSEEK_PRICES,
      },
      {
        // The weekend rule, read in Beijing time with China's statutory holidays off-peak all
        // day, as the Chinese page says (the English page names no holidays; with these hours
        // the two readings of "Monday through Friday" agree at every hour of the week).
        effective_from: '2026-08-23T00:00:00+08:00',
        time_zone: 'Asia/Shanghai',
        hours: DEEPSEEK_2026_HOURS,
        all_day_weekdays: [6, 7],
        all_day_dates: [
          '2026-09-25',
          '2026-10-01',
          '2026-10-02',
          '2026-10-03',
          '2026-10-04',
          '2026-10-05',
          '2026-10-06',
          '2026-10-07',
        ],
        source: {
          url: 'https://api-docs.deepseek.com/zh-cn/quick_start/pricing',
          retrieved: '2026-12-06',
          note:
            'Weekend rule from 2026-08-23 (date from third parties). Holidays: the 2026 ' +
            'Mid-Autumn and National Day holidays as announced by the State Council; 2027 ' +
            'holidays are to be added as a new schedule once announced.',
        },
      },
    ],
  },
};

/**
 * The price table shipped with batchlane. Parsed at load, so a malformed entry fails at start-up
 * rather than mispricing requests.
 */
const defaultPriceTable: PriceTable = PriceTableSchema.parse(rawDefaultPriceTable);

export { defaultPriceTable };
