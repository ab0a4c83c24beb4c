import type { Usage } from '../../contract/result.js';
import { isJsonObject, type JsonObject } from '../isJsonObject.js';

/**
 * The token counts and tier facts that decide what one response cost. Every input token is in
 * exactly one of the input buckets, so nothing is priced twice.
 */
interface TokenUsage {
  /** Input tokens neither read from nor written to the prompt cache. */
  readonly inputTokens: number;
  /** Output tokens, reasoning and thinking tokens included. */
  readonly outputTokens: number;
  readonly cacheReadTokens: number;
  /** Cache writes with the provider's default (short) lifetime: Anthropic 5 min, OpenAI's. */
  readonly cacheWrite5mTokens: number;
  readonly cacheWrite1hTokens: number;
  /** The tier the response says served it (`batch`, `flex`, `default`, `priority`, ...). */
  readonly serviceTier: string | null;
  /** Where inference ran, as the response reports it (Anthropic `inference_geo`). */
  readonly inferenceGeo: string | null;
}

/** A non-negative integer count, or 0 when the provider left it out or sent nonsense. */
const count = (value: unknown): number =>
  typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.trunc(value) : 0;

const stringOrNull = (value: unknown): string | null => (typeof value === 'string' ? value : null);

const objectOrEmpty = (value: unknown): JsonObject => (isJsonObject(value) ? value : {});

/**
 * Anthropic's `input_tokens` already excludes cache reads and writes. The per-lifetime
 * breakdown is newer than the total; when both are present and disagree, the part of the total
 * the breakdown does not explain is taken as 5-minute writes, the default lifetime, so no
 * billed token is lost.
 */
const fromAnthropic = (body: JsonObject): TokenUsage | null => {
  const usage = body.usage;
  if (!isJsonObject(usage)) return null;
  const total = count(usage.cache_creation_input_tokens);
  let write5m = total;
  let write1h = 0;
  if (isJsonObject(usage.cache_creation)) {
    write1h = count(usage.cache_creation.ephemeral_1h_input_tokens);
    const explained5m = count(usage.cache_creation.ephemeral_5m_input_tokens);
    write5m = Math.max(explained5m, total - write1h);
  }
  return {
    inputTokens: count(usage.input_tokens),
    outputTokens: count(usage.output_tokens),
    cacheReadTokens: count(usage.cache_read_input_tokens),
    cacheWrite5mTokens: write5m,
    cacheWrite1hTokens: write1h,
    serviceTier: stringOrNull(usage.service_tier),
    inferenceGeo: stringOrNull(usage.inference_geo),
  };
};

/**
 * OpenAI counts cached tokens inside the prompt total, unlike Anthropic: uncached input is the
 * prompt less cache reads and cache writes. The tier is on the body, not in `usage`.
 */
const fromOpenAI = (endpoint: string, body: JsonObject): TokenUsage | null => {
  const usage = body.usage;
  if (!isJsonObject(usage)) return null;
  const isResponses =
    endpoint === '/v1/responses' ||
    (endpoint !== '/v1/chat/completions' &&
      endpoint !== '/v1/embeddings' &&
      typeof usage.input_tokens === 'number');
  const prompt = count(isResponses ? usage.input_tokens : usage.prompt_tokens);
  const details = objectOrEmpty(
    isResponses ? usage.input_tokens_details : usage.prompt_tokens_details,
  );
  const cacheRead = Math.min(count(details.cached_tokens), prompt);
  const cacheWrite = Math.min(count(details.cache_write_tokens), prompt - cacheRead);
  const output =
    endpoint === '/v1/embeddings'
      ? 0
      : count(isResponses ? usage.output_tokens : usage.completion_tokens);
  return {
    inputTokens: prompt - cacheRead - cacheWrite,
    outputTokens: output,
    cacheReadTokens: cacheRead,
    cacheWrite5mTokens: cacheWrite,
    cacheWrite1hTokens: 0,
    serviceTier: stringOrNull(body.service_tier),
    inferenceGeo: null,
  };
};

/**
 * DeepSeek splits the prompt into cache hits and misses (`prompt_cache_hit_tokens`,
 * `prompt_cache_miss_tokens`, which sum to `prompt_tokens`); hits have their own price.
 */
const fromDeepSeek = (body: JsonObject): TokenUsage | null => {
  const usage = body.usage;
  if (!isJsonObject(usage)) return null;
  const prompt = count(usage.prompt_tokens);
  const cacheRead = Math.min(count(usage.prompt_cache_hit_tokens), prompt);
  return {
    inputTokens: prompt - cacheRead,
    outputTokens: count(usage.completion_tokens),
    cacheReadTokens: cacheRead,
    cacheWrite5mTokens: 0,
    cacheWrite1hTokens: 0,
    serviceTier: null,
    inferenceGeo: null,
  };
};

/**
 * Bedrock's native responses count tokens the way their model family does: Anthropic Claude
 * as Anthropic does (`usage.input_tokens`, cache counts apart), Amazon Nova and Converse as
 * `usage.inputTokens` / `outputTokens` with cache reads and writes apart
 * (`cacheReadInputTokenCount` on Nova's InvokeModel, `cacheReadInputTokens` on Converse),
 * Meta Llama as `prompt_token_count` / `generation_token_count`, and Titan embeddings as
 * `inputTextTokenCount`. The tier is the on-demand one unless the response says otherwise.
 */
const fromBedrock = (body: JsonObject): TokenUsage | null => {
  const usage = body.usage;
  if (isJsonObject(usage) && ('input_tokens' in usage || 'output_tokens' in usage)) {
    return fromAnthropic(body);
  }
  const none = { cacheWrite1hTokens: 0, inferenceGeo: null };
  const tier = isJsonObject(body.serviceTier) ? stringOrNull(body.serviceTier.type) : null;
  if (isJsonObject(usage)) {
    return {
      ...none,
      inputTokens: count(usage.inputTokens),
      outputTokens: count(usage.outputTokens),
      cacheReadTokens: count(usage.cacheReadInputTokens ?? usage.cacheReadInputTokenCount),
      cacheWrite5mTokens: count(usage.cacheWriteInputTokens ?? usage.cacheWriteInputTokenCount),
      serviceTier: tier,
    };
  }
  if ('prompt_token_count' in body || 'generation_token_count' in body) {
    return {
      ...none,
      inputTokens: count(body.prompt_token_count),
      outputTokens: count(body.generation_token_count),
      cacheReadTokens: 0,
      cacheWrite5mTokens: 0,
      serviceTier: null,
    };
  }
  if ('inputTextTokenCount' in body) {
    return {
      ...none,
      inputTokens: count(body.inputTextTokenCount),
      outputTokens: 0,
      cacheReadTokens: 0,
      cacheWrite5mTokens: 0,
      serviceTier: null,
    };
  }
  return null;
};

/**
 * Gemini's `usageMetadata` counts cached tokens inside `promptTokenCount`, and bills tool-use
 * prompt tokens as input and thinking tokens as output. Its responses carry no tier.
 */
const fromGemini = (body: JsonObject): TokenUsage | null => {
  const usage = body.usageMetadata;
  if (!isJsonObject(usage)) return null;
  const prompt = count(usage.promptTokenCount) + count(usage.toolUsePromptTokenCount);
  const cacheRead = Math.min(count(usage.cachedContentTokenCount), prompt);
  return {
    inputTokens: prompt - cacheRead,
    outputTokens: count(usage.candidatesTokenCount) + count(usage.thoughtsTokenCount),
    cacheReadTokens: cacheRead,
    cacheWrite5mTokens: 0,
    cacheWrite1hTokens: 0,
    serviceTier: null,
    inferenceGeo: null,
  };
};

/**
 * Reads the usage a provider returned in its own response object (Anthropic Message; OpenAI
 * ChatCompletion, Response or embedding list; Gemini GenerateContentResponse; a Bedrock
 * model's native response).
 *
 * @returns null when the body is not an object, carries no `usage` object, or the provider is
 *   not one batchlane reads; counts that are missing or not sensible read as 0.
 *
 * @example
 * ```ts
 * tokenUsageFromResponse('openai', '/v1/chat/completions', {
 *   usage: { prompt_tokens: 1200, completion_tokens: 80, prompt_tokens_details: { cached_tokens: 1024 } },
 *   service_tier: 'default',
 * });
 * // { inputTokens: 176, outputTokens: 80, cacheReadTokens: 1024, ..., serviceTier: 'default' }
 * ```
 */
const tokenUsageFromResponse = (
  provider: string,
  endpoint: string,
  body: unknown,
): TokenUsage | null => {
  if (!isJsonObject(body)) return null;
  switch (provider) {
    case 'anthropic':
      return fromAnthropic(body);
    case 'openai':
      return fromOpenAI(endpoint, body);
    case 'bedrock':
      return fromBedrock(body);
    case 'gemini':
      return fromGemini(body);
    case 'mistral':
      // Mistral's `usage` is OpenAI's (`prompt_tokens`, `completion_tokens`, cached tokens in
      // `prompt_tokens_details`); an embeddings body has no completion tokens.
      return fromOpenAI(endpoint, body);
    case 'deepseek':
      return fromDeepSeek(body);
    default:
      // Every other id is a provider profile (built in or the deployment's own; intake refuses
      // any id it does not know), and profiles answer OpenAI's bodies.
      return fromOpenAI(endpoint, body);
  }
};

/**
 * The normalised `usage` a result carries, from the same reading pricing uses, so the counts
 * a caller sees are the counts the cost was computed from.
 */
const resultUsageOf = (usage: TokenUsage | null): Usage | null =>
  usage === null
    ? null
    : {
        input_tokens: usage.inputTokens,
        output_tokens: usage.outputTokens,
        cache_read_input_tokens: usage.cacheReadTokens,
        cache_creation_input_tokens: usage.cacheWrite5mTokens + usage.cacheWrite1hTokens,
      };

export { resultUsageOf, type TokenUsage, tokenUsageFromResponse };
