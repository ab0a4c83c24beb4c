import { estimateTokens, fakeText, outputTokensFor } from './estimateTokens.js';
import { isRecord } from './httpIo.js';
import { createRng, hashId } from './seededRandom.js';

/**
 * A problem with one `GenerateContentRequest`, as Gemini reports it: the HTTP status and
 * `google.rpc` status name (`INVALID_ARGUMENT`) and a message.
 */
interface GeminiProblem {
  readonly code: number;
  readonly status: string;
  readonly message: string;
}

/** Top-level fields of a `GenerateContentRequest` (REST, v1beta), in lowerCamelCase. */
const REQUEST_FIELDS: readonly string[] = [
  'model',
  'contents',
  'systemInstruction',
  'tools',
  'toolConfig',
  'safetySettings',
  'generationConfig',
  'cachedContent',
  'labels',
  'serviceTier',
  'store',
];

const SERVICE_TIERS: readonly string[] = ['unspecified', 'standard', 'flex', 'priority'];

/** `generation_config` → `generationConfig`: the proto JSON parser takes both spellings. */
const camel = (key: string): string =>
  key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** The object with its own keys in lowerCamelCase (one level; enough to read a request). */
const camelKeys = (value: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(value).map(([key, item]) => [camel(key), item]));

const invalidArgument = (message: string): GeminiProblem => ({
  code: 400,
  status: 'INVALID_ARGUMENT',
  message,
});

/**
 * Fields the API does not know: the proto parser refuses the whole payload for them, with
 * the message Gemini sends (`Invalid JSON payload received. Unknown name "x" at '…'`).
 */
const unknownFieldProblem = (
  request: Record<string, unknown>,
  at: string,
): GeminiProblem | null => {
  for (const key of Object.keys(request)) {
    if (!REQUEST_FIELDS.includes(camel(key))) {
      return invalidArgument(
        `Invalid JSON payload received. Unknown name "${key}" at '${at}': Cannot find field.`,
      );
    }
  }
  return null;
};

const isPositiveInt = (value: unknown): boolean =>
  typeof value === 'number' && Number.isInteger(value) && value > 0;

/**
 * What Gemini checks in a request once it parses: contents present with parts, and the
 * sampling settings in range. Null when the request is well-formed.
 */
const requestProblem = (raw: Record<string, unknown>): GeminiProblem | null => {
  const request = camelKeys(raw);
  const contents = request.contents;
  if (!Array.isArray(contents) || contents.length === 0) {
    return invalidArgument('* GenerateContentRequest.contents: contents is not specified');
  }
  for (const [index, content] of contents.entries()) {
    const parts = isRecord(content) ? content.parts : undefined;
    if (!Array.isArray(parts) || parts.length === 0) {
      return invalidArgument(
        `* GenerateContentRequest.contents[${index}].parts: contents.parts must not be empty.`,
      );
    }
    const role = isRecord(content) ? content.role : undefined;
    if (role !== undefined && role !== 'user' && role !== 'model' && role !== 'function') {
      return invalidArgument(
        `Please use a valid role: user, model. Got contents[${index}].role "${String(role)}".`,
      );
    }
  }
  const config = isRecord(request.generationConfig) ? camelKeys(request.generationConfig) : {};
  if (config.maxOutputTokens !== undefined && !isPositiveInt(config.maxOutputTokens)) {
    return invalidArgument(
      '* GenerateContentRequest.generation_config.max_output_tokens: must be positive',
    );
  }
  const temperature = config.temperature;
  if (
    temperature !== undefined &&
    (typeof temperature !== 'number' || temperature < 0 || temperature > 2)
  ) {
    return invalidArgument(
      '* GenerateContentRequest.generation_config.temperature: must be in the range [0.0, 2.0]',
    );
  }
  const tier = request.serviceTier;
  if (
    tier !== undefined &&
    (typeof tier !== 'string' || !SERVICE_TIERS.includes(tier.toLowerCase()))
  ) {
    return invalidArgument(
      `Invalid value at 'service_tier': "${String(tier)}" (use ${SERVICE_TIERS.join(', ')})`,
    );
  }
  return null;
};

/** Gemini model ids the simulator serves (`gemini-…`, with or without `models/`). */
const modelProblem = (model: string): GeminiProblem | null =>
  /^(models\/)?gemini-[a-z0-9.-]+$/.test(model)
    ? null
    : {
        code: 404,
        status: 'NOT_FOUND',
        message: `models/${model.replace(/^models\//, '')} is not found for API version v1beta, or is not supported for generateContent.`,
      };

/**
 * A well-formed `GenerateContentResponse` for a request, deterministic for (seed, key,
 * request). A request naming a `cachedContent` reads everything but its last turn from the
 * cache, so cached-token pricing can be exercised.
 */
const fakeGeminiResponse = (
  seed: number,
  key: string,
  model: string,
  raw: Record<string, unknown>,
): Record<string, unknown> => {
  const request = camelKeys(raw);
  const bodyKey = JSON.stringify(raw);
  const rng = createRng(seed, 'gemini-response', key, bodyKey);
  const contents = Array.isArray(request.contents) ? request.contents : [];
  const prompt = 2 + estimateTokens([request.systemInstruction, request.tools, contents]);
  const cached =
    typeof request.cachedContent === 'string'
      ? Math.min(prompt - 1, estimateTokens([request.systemInstruction, contents.slice(0, -1)]))
      : 0;
  const config = isRecord(request.generationConfig) ? camelKeys(request.generationConfig) : {};
  const limit = isPositiveInt(config.maxOutputTokens) ? Number(config.maxOutputTokens) : 8192;
  const wanted = outputTokensFor(rng, prompt);
  const output = Math.min(wanted, limit);
  return {
    candidates: [
      {
        content: { parts: [{ text: fakeText(rng, output) }], role: 'model' },
        finishReason: wanted > limit ? 'MAX_TOKENS' : 'STOP',
        index: 0,
      },
    ],
    usageMetadata: {
      promptTokenCount: prompt,
      candidatesTokenCount: output,
      totalTokenCount: prompt + output,
      ...(cached > 0 ? { cachedContentTokenCount: cached } : {}),
      promptTokensDetails: [{ modality: 'TEXT', tokenCount: prompt }],
    },
    modelVersion: model.replace(/^models\//, ''),
    responseId: hashId(22, seed, 'gemini-response-id', key, bodyKey),
  };
};

export {
  camelKeys,
  fakeGeminiResponse,
  type GeminiProblem,
  invalidArgument,
  modelProblem,
  requestProblem,
  unknownFieldProblem,
};
