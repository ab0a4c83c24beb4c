import type { ProviderProfileInput } from '../../shared/contract/providerProfile.js';

/** One row of a profile's prices, as a deployment writes it. */
type ProfilePrice = NonNullable<ProviderProfileInput['prices']>[number];

/** acme's chat model: $2 in and $8 out per million tokens, half that in a batch. */
const ACME_CHAT_PRICE: ProfilePrice = {
  model: 'acme-chat-1',
  effective_from: '2026-01-01',
  input: 2,
  output: 8,
  cache_write_5m: null,
  cache_write_1h: null,
  cache_read: null,
  batch_discount: 0.5,
  batch_cache_rule: 'multiply',
  flex_rate: null,
  source: { url: 'https://acme.example/pricing', retrieved: '2026-12-01' },
};

/**
 * A provider a deployment defines as a profile of its own, `acme`: an OpenAI-compatible API
 * with chat and embeddings, a 24h window, and its chat model's price.
 */
const ACME_PROFILE: ProviderProfileInput = {
  id: 'acme',
  baseUrl: 'https://api.acme.example/v1',
  key: { secretName: 'batchlane/acme', envVar: 'ACME_API_KEY' },
  endpoints: ['/v1/chat/completions', '/v1/embeddings'],
  limits: { maxRequests: 10_000, maxBytes: 100_000_000, maxEnqueuedTokens: null },
  window: { request: '24h', accepted: ['24h'], runsPastHours: null },
  batchDiscount: 0.5,
  prices: [ACME_CHAT_PRICE],
};

/** The models acme serves: its priced chat model and an embeddings model. */
const ACME_MODELS: readonly string[] = ['acme-chat-1', 'acme-embed-1'];

export { ACME_CHAT_PRICE, ACME_MODELS, ACME_PROFILE };
