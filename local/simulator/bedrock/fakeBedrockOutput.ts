import { estimateTokens, fakeText, outputTokensFor } from '../estimateTokens.js';
import { fakeAnthropicMessage } from '../fakeAnthropicMessage.js';
import { isRecord } from '../httpIo.js';
import { createRng } from '../seededRandom.js';

/** Model families the simulator answers for, read from the model id (profiles and ARNs too). */
type ModelFamily = 'claude' | 'nova' | 'llama';

/** The id a model id, profile id or ARN stands for: `us.amazon.nova-lite-v1:0` → `amazon.nova-lite-v1:0`. */
const baseModelOf = (modelId: string): string => {
  const id = modelId.startsWith('arn:') ? modelId.slice(modelId.lastIndexOf('/') + 1) : modelId;
  return id.replace(/^(us|eu|apac|global|us-gov|jp|au|ca)\./, '');
};

const familyOf = (modelId: string): ModelFamily | null => {
  const base = baseModelOf(modelId);
  if (base.startsWith('anthropic.claude')) return 'claude';
  if (base.startsWith('amazon.nova')) return 'nova';
  if (base.startsWith('meta.llama')) return 'llama';
  return null;
};

/** Why a model input is refused, as Bedrock says it, or null when it is well formed. */
const modelInputProblem = (family: ModelFamily, input: unknown): string | null => {
  if (!isRecord(input)) return 'Malformed input request: expected a JSON object';
  switch (family) {
    case 'claude':
      if (input.anthropic_version !== 'bedrock-2023-05-31') {
        return 'Malformed input request: #: required key [anthropic_version] not found or not bedrock-2023-05-31';
      }
      if ('model' in input)
        return 'Malformed input request: #: extraneous key [model] is not permitted';
      if (typeof input.max_tokens !== 'number' || input.max_tokens < 1) {
        return 'Malformed input request: #: required key [max_tokens] not found';
      }
      if (!Array.isArray(input.messages) || input.messages.length === 0) {
        return 'Malformed input request: #: required key [messages] not found';
      }
      return null;
    case 'nova':
      if (!Array.isArray(input.messages) || input.messages.length === 0) {
        return 'Malformed input request: #: required key [messages] not found';
      }
      return null;
    case 'llama':
      return typeof input.prompt === 'string'
        ? null
        : 'Malformed input request: #: required key [prompt] not found';
  }
};

/**
 * The model's native InvokeModel response for an input, deterministic for (seed, record,
 * input): a Messages response for Claude, `output.message` with camelCase `usage` for Nova,
 * `generation` with token counts for Llama.
 */
const fakeModelOutput = (
  seed: number,
  family: ModelFamily,
  key: string,
  input: Record<string, unknown>,
): Record<string, unknown> => {
  if (family === 'claude') {
    const message = fakeAnthropicMessage(seed, key, input);
    const usage = isRecord(message.usage) ? message.usage : {};
    const { service_tier: _tier, inference_geo: _geo, ...bedrockUsage } = usage;
    return { ...message, usage: bedrockUsage };
  }
  const rng = createRng(seed, 'bedrock-output', key, JSON.stringify(input));
  if (family === 'llama') {
    const inputTokens = 2 + estimateTokens(input.prompt);
    const outputTokens = outputTokensFor(rng, inputTokens);
    return {
      generation: fakeText(rng, outputTokens),
      prompt_token_count: inputTokens,
      generation_token_count: outputTokens,
      stop_reason: 'stop',
    };
  }
  const inputTokens = 3 + estimateTokens([input.system, input.messages]);
  const config = isRecord(input.inferenceConfig) ? input.inferenceConfig : {};
  const maxTokens =
    typeof config.maxTokens === 'number'
      ? config.maxTokens
      : typeof config.max_new_tokens === 'number'
        ? config.max_new_tokens
        : 1024;
  const outputTokens = Math.min(maxTokens, outputTokensFor(rng, inputTokens));
  return {
    output: { message: { role: 'assistant', content: [{ text: fakeText(rng, outputTokens) }] } },
    stopReason: outputTokens >= maxTokens ? 'max_tokens' : 'end_turn',
    usage: {
      inputTokens,
      outputTokens,
      totalTokens: inputTokens + outputTokens,
      cacheReadInputTokenCount: 0,
      cacheWriteInputTokenCount: 0,
    },
  };
};

/** Why a Converse request is refused, or null. */
const converseProblem = (body: unknown): string | null => {
  if (!isRecord(body)) return 'Malformed input request: expected a JSON object';
  if (!Array.isArray(body.messages) || body.messages.length === 0) {
    return 'The messages field is required and must not be empty';
  }
  return null;
};

/** The Converse response for a request: the same text and counts whatever the model family. */
const fakeConverseOutput = (
  seed: number,
  modelId: string,
  body: Record<string, unknown>,
): Record<string, unknown> => {
  const rng = createRng(seed, 'bedrock-converse', modelId, JSON.stringify(body));
  const inputTokens = 3 + estimateTokens([body.system, body.messages]);
  const config = isRecord(body.inferenceConfig) ? body.inferenceConfig : {};
  const maxTokens = typeof config.maxTokens === 'number' ? config.maxTokens : 1024;
  const outputTokens = Math.min(maxTokens, outputTokensFor(rng, inputTokens));
  return {
    output: { message: { role: 'assistant', content: [{ text: fakeText(rng, outputTokens) }] } },
    stopReason: outputTokens >= maxTokens ? 'max_tokens' : 'end_turn',
    usage: { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens },
    metrics: { latencyMs: 100 + Math.floor(rng() * 400) },
  };
};

export {
  baseModelOf,
  converseProblem,
  fakeConverseOutput,
  fakeModelOutput,
  familyOf,
  type ModelFamily,
  modelInputProblem,
};
