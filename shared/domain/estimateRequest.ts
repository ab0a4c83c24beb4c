import type { PriceTable } from './pricing/PriceTable.js';
import { type PricingLane, priceRequest } from './pricing/priceRequest.js';

/** What a request is expected to use and cost before it runs: the basis of admission. */
interface RequestEstimate {
  /** Prompt tokens it adds to the provider's enqueued-token count. */
  readonly inputTokens: number;
  /** The most it may cost: its input, and output up to its own limit. */
  readonly nanoUsd: number;
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
): RequestEstimate => {
  const inputTokens = Math.ceil(input.bodyBytes / BYTES_PER_TOKEN);
  const priced = priceRequest(
    {
      provider: input.provider,
      model: input.model,
      lane: input.lane,
      at: input.at,
      usage: {
        inputTokens,
        outputTokens: outputLimitOf(input.body, input.endpoint),
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
  return { inputTokens, nanoUsd: priced.nano_usd };
};

export { estimateRequest, type RequestEstimate };
