import type { PriceTable } from './pricing/PriceTable.js';
import { type PricingLane, priceRequest } from './pricing/priceRequest.js';

/** What a request is expected to use and cost before it runs: the basis of admission. */
interface RequestEstimate {
  /** Prompt tokens it adds to the provider's enqueued-token count. */
  readonly inputTokens: number;
  /** The most it may cost: its input, and output up to its own limit. */
  readonly nanoUsd: number;
  /**
   * False when the price table has no price for its model (or lane): `nanoUsd` is then the
   * deployment's ceiling for unpriced models, or 0 when it has none.
   */
  readonly priced: boolean;
}

/** Output budget assumed when a body sets no limit (chat models' common default). */
const DEFAULT_MAX_OUTPUT_TOKENS = 4096;

/** About four bytes of JSON per token: the providers' own rule of thumb for English text. */
const BYTES_PER_TOKEN = 4;

const outputLimitOf = (body: Record<string, unknown>, endpoint: string): number => {
  if (endpoint === '/v1/embeddings') return 0;
  // Gemini keeps its limit in `generationConfig` (either spelling).
  const config = body['generationConfig'] ?? body['generation_config'];
  const nested =
    typeof config === 'object' && config !== null ? (config as Record<string, unknown>) : {};
  const candidates = [
    body['max_tokens'],
    body['max_completion_tokens'],
    body['max_output_tokens'],
    nested['maxOutputTokens'],
    nested['max_output_tokens'],
  ];
  for (const value of candidates) {
    if (typeof value === 'number' && Number.isFinite(value) && value > 0) return Math.trunc(value);
  }
  return DEFAULT_MAX_OUTPUT_TOKENS;
};

/**
 * A request's expected tokens and its worst-case cost: input estimated from the body's size,
 * output at the body's own limit, priced as the lane it goes to. Deliberately pessimistic
 * about output, so a budget is not overrun by requests that were admitted on hope.
 */
const estimateRequest = (
  input: {
    readonly provider: string;
    readonly endpoint: string;
    readonly model: string;
    readonly body: Record<string, unknown>;
    readonly bodyBytes: number;
    readonly lane: PricingLane;
    readonly at: Date;
  },
  table: PriceTable,
  /** Nano-dollars per token assumed for an unpriced model; null: none (it costs 0 here). */
  unpricedNanoUsdPerToken: number | null = null,
): RequestEstimate => {
  const inputTokens = Math.ceil(input.bodyBytes / BYTES_PER_TOKEN);
  const outputTokens = outputLimitOf(input.body, input.endpoint);
  const priced = priceRequest(
    {
      provider: input.provider,
      model: input.model,
      lane: input.lane,
      at: input.at,
      usage: {
        inputTokens,
        outputTokens,
        cacheReadTokens: 0,
        cacheWrite5mTokens: 0,
        cacheWrite1hTokens: 0,
        // Priced as the lane it is sent to: a batch, or flex when flex is asked for.
        serviceTier: input.lane === 'flex' ? 'flex' : null,
        inferenceGeo: null,
      },
    },
    table,
  );
  if (priced.basis !== 'unpriced_model') {
    return { inputTokens, nanoUsd: priced.nano_usd, priced: true };
  }
  // Never $0 while a ceiling is configured: a budget must hold models it has no price for.
  const ceiling =
    unpricedNanoUsdPerToken === null
      ? 0
      : Math.ceil((inputTokens + outputTokens) * unpricedNanoUsdPerToken);
  return { inputTokens, nanoUsd: ceiling, priced: false };
};

export { estimateRequest, type RequestEstimate };
