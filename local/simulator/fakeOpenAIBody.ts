import type { ProviderName } from '../../shared/contract/providers.js';
import {
  isKnownModel,
  maxOutputTokensOf,
  requestedOutputTokens,
} from '../../shared/domain/pricing/modelLimits.js';
import { estimateTokens, fakeText, outputTokensFor } from './estimateTokens.js';
import { createRng, hashId, hashUnit } from './seededRandom.js';

/**
 * Response bodies for OpenAI batch lines, deterministic for (seed, custom_id, body).
 * Returns either a 200 body or the HTTP error the endpoint would have answered.
 */
type OpenAIBodyResult =
  | { readonly status: 200; readonly body: Record<string, unknown>; readonly usage: LineUsage }
  | { readonly status: number; readonly body: { error: OpenAIErrorBody }; readonly usage: null };

interface OpenAIErrorBody {
  message: string;
  type: string;
  param: string | null;
  code: string | null;
}

/** Normalised usage of one line, summed into the batch's `usage`. */
interface LineUsage {
  readonly input: number;
  readonly cached: number;
  readonly output: number;
  readonly reasoning: number;
}

const invalid = (message: string, param: string | null, code: string | null = null) =>
  ({
    status: 400,
    body: { error: { message, type: 'invalid_request_error', param, code } },
    usage: null,
  }) as const;

/** The models the simulator serves: those batchlane's model table knows, as the real API knows its own. */
/**
 * Who answers: OpenAI or a built-in OpenAI-compatible provider by id (the model table's
 * models), or a deployment's own provider with the models it serves (empty: any).
 */
type ModelServer = string | { readonly id: string; readonly models?: readonly string[] };

const idOf = (server: ModelServer): string => (typeof server === 'string' ? server : server.id);

const isKnownOpenAIModel = (model: string, server: ModelServer): boolean => {
  if (typeof server === 'string' || server.models === undefined) {
    return isKnownModel(idOf(server) as ProviderName, model);
  }
  const { models } = server;
  return models.length === 0 || models.some((m) => model === m || model.startsWith(`${m}-`));
};

/**
 * The error an endpoint would answer for this body, or null if it is acceptable. Cheap, so
 * progress counts can classify lines without generating whole responses.
 */
const openaiBodyError = (
  endpoint: string,
  body: Record<string, unknown>,
  provider: ModelServer = 'openai',
): OpenAIBodyResult | null => {
  const model = body.model;
  if (typeof model !== 'string' || model.length === 0) {
    return invalid('you must provide a model parameter', 'model');
  }
  if (!isKnownOpenAIModel(model, provider)) {
    return {
      status: 404,
      body: {
        error: {
          message: `The model \`${model}\` does not exist or you do not have access to it.`,
          type: 'invalid_request_error',
          param: null,
          code: 'model_not_found',
        },
      },
      usage: null,
    };
  }
  const cap = maxOutputTokensOf(idOf(provider) as ProviderName, model);
  const asked = requestedOutputTokens(endpoint, body);
  if (cap !== null && asked !== null && asked.value > cap) {
    return invalid(
      `${asked.field} is too large: ${asked.value}. This model supports at most ${cap} completion tokens, whereas you provided ${asked.value}.`,
      asked.field,
      'invalid_value',
    );
  }
  if (endpoint === '/v1/embeddings') {
    const raw = body.input;
    if (raw === undefined || raw === '' || (Array.isArray(raw) && raw.length === 0)) {
      return invalid("'input' : input must be a non-empty string or array", 'input');
    }
  } else if (endpoint === '/v1/responses') {
    if (body.input === undefined) {
      return invalid("Missing required parameter: 'input'.", 'input', 'missing_required_parameter');
    }
  } else if (!Array.isArray(body.messages) || body.messages.length === 0) {
    return invalid(
      "Missing required parameter: 'messages'.",
      'messages',
      'missing_required_parameter',
    );
  }
  return null;
};

const fakeOpenAIBody = (
  seed: number,
  endpoint: string,
  customId: string,
  body: Record<string, unknown>,
  createdSeconds: number,
  /** OpenAI, or the OpenAI-compatible provider answering (its models). */
  provider: ModelServer = 'openai',
): OpenAIBodyResult => {
  const problem = openaiBodyError(endpoint, body, provider);
  if (problem !== null) return problem;
  const model = String(body.model);
  const key = JSON.stringify(body);
  const rng = createRng(seed, 'openai-body', customId, key);
  const suffix = hashId(24, seed, 'openai-id', customId, key);
  if (endpoint === '/v1/embeddings') return embeddings(rng, body, model);
  if (endpoint === '/v1/responses') {
    return responses(seed, rng, suffix, customId, body, model, createdSeconds);
  }
  return chatCompletion(seed, rng, suffix, customId, body, model, createdSeconds);
};

/** Fakes one generating endpoint's answer, deterministic in the seed and the request. */
type FakeGeneration = (
  seed: number,
  rng: () => number,
  suffix: string,
  customId: string,
  body: Record<string, unknown>,
  model: string,
  created: number,
) => OpenAIBodyResult;

/** OpenAI caches automatically from 1024 prompt tokens, in 128-token steps. */
const cachedTokensFor = (seed: number, customId: string, promptTokens: number): number => {
  if (promptTokens < 1024) return 0;
  const u = hashUnit(seed, 'openai-cache', customId, promptTokens);
  if (u >= 0.7) return 0;
  const steps = Math.floor((promptTokens - 1024) / 128);
  return 1024 + 128 * Math.floor(steps * (u / 0.7));
};

const chatCompletion: FakeGeneration = (seed, rng, suffix, customId, body, model, created) => {
  if (!Array.isArray(body.messages) || body.messages.length === 0) {
    return invalid(
      "Missing required parameter: 'messages'.",
      'messages',
      'missing_required_parameter',
    );
  }
  const prompt = estimateTokens(body.messages) + 3 * body.messages.length + 3;
  const limit = [body.max_completion_tokens, body.max_tokens].find((v) => typeof v === 'number');
  const wanted = outputTokensFor(rng, prompt);
  const completion = typeof limit === 'number' ? Math.min(wanted, limit) : wanted;
  const cached = cachedTokensFor(seed, customId, prompt);
  return {
    status: 200,
    body: {
      id: `chatcmpl-${suffix}`,
      object: 'chat.completion',
      created,
      model,
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: fakeText(rng, completion),
            refusal: null,
            annotations: [],
          },
          logprobs: null,
          finish_reason: typeof limit === 'number' && wanted > limit ? 'length' : 'stop',
        },
      ],
      usage: {
        prompt_tokens: prompt,
        completion_tokens: completion,
        total_tokens: prompt + completion,
        prompt_tokens_details: { cached_tokens: cached, audio_tokens: 0 },
        completion_tokens_details: {
          reasoning_tokens: 0,
          audio_tokens: 0,
          accepted_prediction_tokens: 0,
          rejected_prediction_tokens: 0,
        },
      },
      service_tier: 'default',
      system_fingerprint: `fp_${suffix.slice(0, 10).toLowerCase()}`,
    },
    usage: { input: prompt, cached, output: completion, reasoning: 0 },
  };
};

const responses: FakeGeneration = (seed, rng, suffix, customId, body, model, created) => {
  const input = estimateTokens([body.instructions, body.input]) + 4;
  const limit = typeof body.max_output_tokens === 'number' ? body.max_output_tokens : null;
  const wanted = outputTokensFor(rng, input);
  const output = limit === null ? wanted : Math.min(wanted, limit);
  const truncated = limit !== null && wanted > limit;
  const cached = cachedTokensFor(seed, customId, input);
  return {
    status: 200,
    body: {
      id: `resp_${suffix}`,
      object: 'response',
      created_at: created,
      status: truncated ? 'incomplete' : 'completed',
      background: false,
      error: null,
      incomplete_details: truncated ? { reason: 'max_output_tokens' } : null,
      instructions: body.instructions ?? null,
      max_output_tokens: limit,
      model,
      output: [
        {
          type: 'message',
          id: `msg_${suffix}`,
          status: truncated ? 'incomplete' : 'completed',
          role: 'assistant',
          content: [
            { type: 'output_text', text: fakeText(rng, output), annotations: [], logprobs: [] },
          ],
        },
      ],
      parallel_tool_calls: true,
      previous_response_id: null,
      reasoning: { effort: null, summary: null },
      service_tier: 'default',
      store: body.store ?? true,
      temperature: body.temperature ?? 1,
      text: { format: { type: 'text' } },
      tool_choice: 'auto',
      tools: [],
      top_p: body.top_p ?? 1,
      truncation: 'disabled',
      usage: {
        input_tokens: input,
        input_tokens_details: { cached_tokens: cached },
        output_tokens: output,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: input + output,
      },
      user: null,
      metadata: body.metadata ?? {},
    },
    usage: { input, cached, output, reasoning: 0 },
  };
};

const embeddings = (
  rng: () => number,
  body: Record<string, unknown>,
  model: string,
): OpenAIBodyResult => {
  const raw = body.input;
  // A flat number array is one pre-tokenised input; any other array is a list of inputs.
  const inputs: unknown[] =
    Array.isArray(raw) && !raw.every((v) => typeof v === 'number') ? raw : [raw];
  const defaultDims = model.includes('3-large') ? 3072 : 1536;
  const dims = typeof body.dimensions === 'number' ? body.dimensions : defaultDims;
  const base64 = body.encoding_format === 'base64';
  let prompt = 0;
  const data = inputs.map((input, index) => {
    prompt += Array.isArray(input) ? input.length : Math.max(1, estimateTokens(input));
    const vector = new Float32Array(dims);
    let norm = 0;
    for (let d = 0; d < dims; d += 1) {
      const value = rng() * 2 - 1;
      vector[d] = value;
      norm += value * value;
    }
    const scale = 1 / Math.sqrt(norm || 1);
    for (let d = 0; d < dims; d += 1) vector[d] = (vector[d] ?? 0) * scale;
    return {
      object: 'embedding',
      index,
      embedding: base64
        ? Buffer.from(vector.buffer).toString('base64')
        : Array.from(vector, (v) => Math.round(v * 1e7) / 1e7),
    };
  });
  return {
    status: 200,
    body: { object: 'list', data, model, usage: { prompt_tokens: prompt, total_tokens: prompt } },
    usage: { input: prompt, cached: 0, output: 0, reasoning: 0 },
  };
};

export {
  fakeOpenAIBody,
  type LineUsage,
  type ModelServer,
  type OpenAIBodyResult,
  type OpenAIErrorBody,
  openaiBodyError,
};
