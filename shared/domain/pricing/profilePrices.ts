import type { ProviderProfile } from '../../contract/providerProfile.js';
import type { PriceTableInput } from './PriceTable.js';

/*
 * List prices of the models the built-in provider profiles offer in batch, in USD per million
 * tokens (see defaultPriceTable.ts for the rules: add a dated entry rather than edit one).
 * Each provider's batch discount is its documented one; none of them documents a batch price
 * for cached input, so cached tokens in a batch are billed at the batch input price (errs high).
 * Where each figure was confirmed, and which were not, is in its entry's source.
 */

type Entries = PriceTableInput['providers'][string];

const RETRIEVED = '2026-12-06';

/*
 * Each entry's source says where its figures were confirmed on the retrieved date, and at
 * what strength: the provider's own page (or an archived copy of it), a third party's copy of
 * the provider's price list, or not confirmed. An entry not confirmed on a provider page keeps
 * its figures until one is read; correct it with a dated entry.
 */

const TOGETHER_PAGE = 'https://www.together.ai/pricing';
/** Together's batch discount: "up to 50%", set per model (reference notes, Together §4.2). */
const TOGETHER_BATCH =
  ' Batch: "up to 50%" per model (https://docs.together.ai/docs/batch-inference); that these ' +
  'models get the full 50% is not confirmed.';

const TOGETHER_LLAMA_8B = {
  url: TOGETHER_PAGE,
  retrieved: RETRIEVED,
  note:
    '$0.18 in and out confirmed only by a third-party copy of the price list (LiteLLM data ' +
    'via https://www.getmaxim.ai/bifrost/model-library/compare/together_ai/' +
    `meta-llama-3.1-8b-instruct-turbo), not on Together's page.${TOGETHER_BATCH}`,
} as const;

const TOGETHER_LLAMA_70B = {
  url: TOGETHER_PAGE,
  retrieved: RETRIEVED,
  note:
    'Not confirmed: third-party copies give $0.88 in and out for Llama 3 and 3.1 70B Instruct ' +
    'Turbo (https://www.getmaxim.ai/bifrost/llm-cost-calculator/provider/together_ai/model/' +
    `meta-llama-3.1-70b-instruct-turbo); none was found for 3.3.${TOGETHER_BATCH}`,
} as const;

const TOGETHER_DEEPSEEK_V3 = {
  url: TOGETHER_PAGE,
  retrieved: RETRIEVED,
  note: `Not confirmed: no copy of Together's DeepSeek-V3 price was found.${TOGETHER_BATCH}`,
} as const;

/** Groq's list as a third party copied it from groq.com/pricing, with the batch discount. */
const GROQ = {
  url: 'https://groq.com/pricing',
  retrieved: RETRIEVED,
  note:
    'Confirmed by a third-party copy of the Groq pricing page (https://raw.githubusercontent.com/' +
    'api-evangelist/groq/refs/heads/main/plans/groq-plans-pricing.yml: $0.05/$0.08 for ' +
    'llama-3.1-8b-instant, "The Batch API offers a 50% discount") and a second list ' +
    "(llama-3.3-70b-versatile $0.59/$0.79); not read on Groq's page itself. One survey quotes a " +
    '25% batch discount, which a deployment can set through the price table override. A ' +
    'third-party release note says Groq retired both models on 2026-08-16.',
} as const;

const XAI_GROK_3_MINI = {
  url: 'https://docs.x.ai/docs/models',
  retrieved: RETRIEVED,
  note:
    "Confirmed on xAI's own models page as archived on 2025-06-02 (https://archive.fo/dYUtw): " +
    '$0.30 in, $0.075 cached, $0.50 out. The model is listed as retired since. Batch: 50% of ' +
    'standard, not confirmed on an xAI page.',
} as const;

const XAI_GROK_4 = {
  url: 'https://docs.x.ai/docs/models',
  retrieved: RETRIEVED,
  note:
    "Confirmed only by third parties ($3 in, $0.75 cached, $15 out: apidog's Grok 4 API " +
    "guide, wavespeed.ai's x-ai/grok-4 page); xAI's page loads its table at run time. " +
    'grok-4-0709 is listed as retired since. Batch: 50% of standard, not confirmed.',
} as const;

/** Azure OpenAI Global prices are OpenAI's list prices, which this table holds as checked. */
const AZURE = {
  url: 'https://azure.microsoft.com/en-us/pricing/details/cognitive-services/openai-service/',
  retrieved: RETRIEVED,
  note:
    "Equal to OpenAI's list prices for the same model in this table (checked there); Azure's " +
    'own page was not read. Global Batch: 50% of Global Standard ' +
    '(https://learn.microsoft.com/azure/ai-foundry/openai/how-to/batch).',
} as const;

const AZURE_NANO = {
  ...AZURE,
  note:
    'Not confirmed: this table holds no OpenAI entry for gpt-4.1-nano to compare with, and ' +
    "Azure's page was not read. Global Batch: 50% of Global Standard.",
} as const;

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

const PROFILE_PRICES: Record<'together' | 'groq' | 'xai' | 'azure-openai', Entries> = {
  together: [
    {
      ...plain,
      model: 'meta-llama/Llama-3.3-70B-Instruct-Turbo',
      effective_from: '2024-12-06',
      input: 0.88,
      output: 0.88,
      source: TOGETHER_LLAMA_70B,
    },
    {
      ...plain,
      model: 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo',
      effective_from: '2024-07-23',
      input: 0.18,
      output: 0.18,
      source: TOGETHER_LLAMA_8B,
    },
    {
      ...plain,
      model: 'deepseek-ai/DeepSeek-V3',
      effective_from: '2024-12-26',
      input: 1.25,
      output: 1.25,
      source: TOGETHER_DEEPSEEK_V3,
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
      source: XAI_GROK_3_MINI,
    },
    {
      ...cachedRealtimeOnly,
      model: 'grok-4',
      match: ['grok-4-0'],
      effective_from: '2025-07-09',
      input: 3,
      output: 15,
      cache_read: 0.75,
      source: XAI_GROK_4,
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
      source: AZURE_NANO,
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

/**
 * The prices a deployment's own profiles carry (`prices`), as a price table to merge over the
 * shipped one (`resolvePriceTable`); null when no profile carries any. Its version,
 * `profiles`, joins the table's, so a cost says these prices were in force.
 */
const profilePriceTable = (
  profiles: Readonly<Record<string, ProviderProfile>>,
): PriceTableInput | null => {
  const priced = Object.values(profiles).filter((profile) => profile.prices.length > 0);
  if (priced.length === 0) return null;
  return {
    version: 'profiles',
    providers: Object.fromEntries(priced.map((profile) => [profile.id, profile.prices])),
  };
};

export { PROFILE_PRICES, profilePriceTable };
