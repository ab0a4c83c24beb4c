import type { PriceTableInput } from './PriceTable.js';

/*
 * List prices of the models the built-in provider profiles offer in batch, in USD per million
 * tokens (see defaultPriceTable.ts for the rules: add a dated entry rather than edit one).
 * Each provider's batch discount is its documented one; none of them documents a batch price
 * for cached input, so cached tokens in a batch are billed at the batch input price (errs high).
 */

type Entries = PriceTableInput['providers'][string];

const RETRIEVED = '2026-12-06';

/** Said of every entry here: the figures were written down, not read off the page that day. */
const UNCHECKED =
  "Entered from the providers' published list prices without re-reading the page on the " +
  'retrieved date: check them there before relying on them, and correct with a dated entry. ';

/** No cache price, no flex tier: every input token at the input price. */
const plain = {
  batch_discount: 0.5,
  batch_cache_rule: 'multiply',
  cache_write_5m: null,
  cache_write_1h: null,
  cache_read: null,
  flex_rate: null,
} as const;

/** A cache price for realtime calls, none in a batch. */
const cachedRealtimeOnly = {
  batch_discount: 0.5,
  batch_cache_rule: 'batch_cached_rate',
  batch_cache_read: null,
  cache_write_5m: null,
  cache_write_1h: null,
  flex_rate: null,
} as const;

const TOGETHER = {
  url: 'https://www.together.ai/pricing',
  retrieved: RETRIEVED,
  note:
    UNCHECKED +
    'Together serverless prices. Batch: "up to 50%" and per model ' +
    '(https://docs.together.ai/docs/batch-inference); these models at 50%.',
} as const;

const GROQ = {
  url: 'https://groq.com/pricing',
  retrieved: RETRIEVED,
  note:
    UNCHECKED +
    'Groq on-demand prices. Batch: 50% per Groq (https://console.groq.com/docs/batch); one ' +
    'survey quotes 25%, which a deployment can set through the price table override.',
} as const;

const XAI = {
  url: 'https://docs.x.ai/docs/models',
  retrieved: RETRIEVED,
  note: `${UNCHECKED}xAI API prices; cached input listed for realtime calls. Batch: 50% of standard.`,
} as const;

const AZURE = {
  url: 'https://azure.microsoft.com/en-us/pricing/details/cognitive-services/openai-service/',
  retrieved: RETRIEVED,
  note:
    UNCHECKED +
    'Azure OpenAI Global deployment prices (the same as OpenAI list prices). Global Batch: ' +
    '50% of Global Standard (https://learn.microsoft.com/azure/ai-foundry/openai/how-to/batch).',
} as const;

const PROFILE_PRICES: Record<'together' | 'groq' | 'xai' | 'azure-openai', Entries> = {
  together: [
    {
      ...plain,
      model: 'meta-llama/Llama-3.3-70B-Instruct-Turbo',
      effective_from: '2024-12-06',
      input: 0.88,
      output: 0.88,
      source: TOGETHER,
    },
    {
      ...plain,
      model: 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo',
      effective_from: '2024-07-23',
      input: 0.18,
      output: 0.18,
      source: TOGETHER,
    },
    {
      ...plain,
      model: 'deepseek-ai/DeepSeek-V3',
      effective_from: '2024-12-26',
      input: 1.25,
      output: 1.25,
      source: TOGETHER,
    },
  ],
  groq: [
    {
      ...plain,
      model: 'llama-3.1-8b-instant',
      effective_from: '2024-07-23',
      input: 0.05,
      output: 0.08,
      source: GROQ,
    },
    {
      ...plain,
      model: 'llama-3.3-70b-versatile',
      effective_from: '2024-12-06',
      input: 0.59,
      output: 0.79,
      source: GROQ,
    },
  ],
  xai: [
    {
      ...cachedRealtimeOnly,
      model: 'grok-3-mini',
      effective_from: '2025-04-09',
      input: 0.3,
      output: 0.5,
      cache_read: 0.075,
      source: XAI,
    },
    {
      ...cachedRealtimeOnly,
      model: 'grok-4',
      match: ['grok-4-0'],
      effective_from: '2025-07-09',
      input: 3,
      output: 15,
      cache_read: 0.75,
      source: XAI,
    },
  ],
  // Requests name the model; Azure answers with the dated model its deployment serves.
  'azure-openai': [
    {
      ...cachedRealtimeOnly,
      model: 'gpt-4o-mini',
      match: ['gpt-4o-mini-20'],
      effective_from: '2024-07-18',
      input: 0.15,
      output: 0.6,
      cache_read: 0.075,
      source: AZURE,
    },
    {
      ...cachedRealtimeOnly,
      model: 'gpt-4.1-mini',
      match: ['gpt-4.1-mini-20'],
      effective_from: '2025-04-14',
      input: 0.4,
      output: 1.6,
      cache_read: 0.1,
      source: AZURE,
    },
    {
      ...cachedRealtimeOnly,
      model: 'gpt-4.1-nano',
      match: ['gpt-4.1-nano-20'],
      effective_from: '2025-04-14',
      input: 0.1,
      output: 0.4,
      cache_read: 0.025,
      source: AZURE,
    },
    {
      ...cachedRealtimeOnly,
      model: 'text-embedding-3-small',
      effective_from: '2024-01-25',
      input: 0.02,
      output: null,
      cache_read: null,
      source: AZURE,
    },
  ],
};

export { PROFILE_PRICES };
