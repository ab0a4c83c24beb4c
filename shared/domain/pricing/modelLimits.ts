import type { ProviderName } from '../../contract/providers.js';

/**
 * What batchlane knows about each provider's models beyond their prices: the most output
 * tokens one request may ask for, which the providers refuse above (Anthropic:
 * `max_tokens: N > M, which is the maximum allowed number of output tokens for <model>`;
 * OpenAI: `max_tokens is too large`), and the prefixes every model id of a provider starts
 * with. Intake refuses what the provider would refuse anyway, before a batch is paid for; the
 * simulator refuses the same, as the real APIs do.
 *
 * A model missing here is not refused for that alone: providers release models faster than
 * this table follows, and the provider remains the authority (an unknown name comes back as an
 * `errored` result). Only a name outside every one of the provider's id families is refused.
 */
interface ModelLimit {
  /** The model id (alias), matched exactly. */
  readonly model: string;
  /** Prefixes of other ids that are this model (dated snapshots). */
  readonly match: readonly string[];
  /**
   * Most output tokens one request may ask for; null for models that produce none
   * (embeddings) or whose provider names no cap apart from the context window (Mistral).
   */
  readonly maxOutputTokens: number | null;
  readonly source: string;
}

const ANTHROPIC_MODELS =
  'https://platform.claude.com/docs/en/about-claude/models/overview (models overview, "Max output"; read 2026-11-26). Without the batch-only `output-300k-2026-03-24` beta, which batchlane does not send.';
const ANTHROPIC_LEGACY =
  'https://platform.claude.com/docs/en/about-claude/models/overview#legacy-models (read 2026-11-26)';
const OPENAI_MODELS = (page: string) =>
  `https://platform.openai.com/docs/models/${page} ("Max output tokens"; read 2026-11-26)`;

/** A provider profile's model: known by id (and dated snapshots of it), its cap unrecorded. */
const profileModel = (model: string, source: string): ModelLimit => ({
  model,
  match: [`${model}-`],
  maxOutputTokens: null,
  source,
});

const TOGETHER_MODELS =
  'https://docs.together.ai/docs/batch-inference (models offered in batch; output caps not recorded)';
const GROQ_MODELS =
  'https://console.groq.com/docs/batch (supported models; output caps not recorded)';
const XAI_MODELS = 'https://docs.x.ai/docs/models (output caps not recorded)';

const GEMINI_MODELS =
  'https://ai.google.dev/gemini-api/docs/models ("Output token limit"; read 2026-12-06)';

const gemini = (model: string, maxOutputTokens: number, match: readonly string[] = []) => ({
  model,
  match,
  maxOutputTokens,
  source: GEMINI_MODELS,
});

const anthropic = (
  model: string,
  maxOutputTokens: number,
  match: readonly string[] = [`${model}-20`],
  source = ANTHROPIC_MODELS,
): ModelLimit => ({ model, match, maxOutputTokens, source });

const openai = (
  model: string,
  maxOutputTokens: number | null,
  match: readonly string[] = [`${model}-20`],
): ModelLimit => ({ model, match, maxOutputTokens, source: OPENAI_MODELS(model) });

const BEDROCK_MODELS =
  'https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters.html (model cards, maximum output tokens; read 2026-12-06). Informational: Bedrock requests are not refused at intake for it.';

const bedrock = (model: string, maxOutputTokens: number): ModelLimit => ({
  model,
  match: [`${model}-`, `${model}:`],
  maxOutputTokens,
  source: BEDROCK_MODELS,
});

const DEEPSEEK_MODELS =
  'https://api-docs.deepseek.com/quick_start/pricing ("Max output"; read 2026-12-06). The V4 models name no maximum in the pages read: not capped at intake, DeepSeek is the authority.';

const deepseek = (model: string, maxOutputTokens: number | null): ModelLimit => ({
  model,
  match: [],
  maxOutputTokens,
  source: DEEPSEEK_MODELS,
});

const MISTRAL_MODELS =
  'https://docs.mistral.ai/getting-started/models/ (context windows; read 2026-12-06). Mistral names one context window per model and no separate output cap, so none is enforced at intake.';

const mistral = (model: string, match: readonly string[] = []): ModelLimit => ({
  model,
  match,
  maxOutputTokens: null,
  source: MISTRAL_MODELS,
});

const MODEL_LIMITS: Partial<Record<ProviderName, readonly ModelLimit[]>> = {
  bedrock: [
    bedrock('anthropic.claude-haiku-4-5', 64_000),
    bedrock('anthropic.claude-sonnet-4-5', 64_000),
    bedrock('amazon.nova-micro-v1', 10_000),
    bedrock('amazon.nova-lite-v1', 10_000),
    bedrock('amazon.nova-pro-v1', 10_000),
  ],
  anthropic: [
    anthropic('claude-opus-4-6', 128_000),
    anthropic('claude-sonnet-4-6', 64_000),
    anthropic('claude-opus-4-5', 64_000),
    anthropic('claude-sonnet-4-5', 64_000),
    anthropic('claude-haiku-4-5', 64_000),
    anthropic('claude-opus-4-1', 32_000),
    anthropic('claude-opus-4-0', 32_000, ['claude-opus-4-20']),
    anthropic('claude-sonnet-4-0', 64_000, ['claude-sonnet-4-20']),
    anthropic('claude-3-5-haiku-latest', 8_192, ['claude-3-5-haiku-20'], ANTHROPIC_LEGACY),
    anthropic('claude-3-haiku-20240307', 4_096, [], ANTHROPIC_LEGACY),
  ],
  openai: [
    openai('gpt-5', 128_000),
    openai('gpt-5-mini', 128_000),
    openai('gpt-5-nano', 128_000),
    openai('gpt-4.1', 32_768),
    openai('gpt-4.1-mini', 32_768),
    openai('gpt-4.1-nano', 32_768),
    openai('gpt-4o', 16_384, ['gpt-4o-2024-08-06', 'gpt-4o-2024-11-20']),
    openai('gpt-4o-mini', 16_384),
    openai('o3', 100_000),
    openai('o4-mini', 100_000),
    openai('text-embedding-3-small', null, []),
    openai('text-embedding-3-large', null, []),
  ],
  together: [
    profileModel('meta-llama/Llama-3.3-70B-Instruct-Turbo', TOGETHER_MODELS),
    profileModel('meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo', TOGETHER_MODELS),
    profileModel('deepseek-ai/DeepSeek-V3', TOGETHER_MODELS),
  ],
  groq: [
    profileModel('llama-3.1-8b-instant', GROQ_MODELS),
    profileModel('llama-3.3-70b-versatile', GROQ_MODELS),
  ],
  xai: [profileModel('grok-3-mini', XAI_MODELS), profileModel('grok-4', XAI_MODELS)],
  // Azure serves OpenAI's models; requests name the model, and a deployment serves it.
  'azure-openai': [
    openai('gpt-4.1-mini', 32_768),
    openai('gpt-4.1-nano', 32_768),
    openai('gpt-4o-mini', 16_384),
    openai('text-embedding-3-small', null, []),
  ],
  gemini: [
    gemini('gemini-2.5-pro', 65_536),
    gemini('gemini-2.5-flash', 65_536),
    gemini('gemini-2.5-flash-lite', 65_536),
    gemini('gemini-2.0-flash', 8_192, ['gemini-2.0-flash-0']),
  ],
  deepseek: [
    deepseek('deepseek-chat', 8_192),
    deepseek('deepseek-reasoner', 65_536),
    deepseek('deepseek-flash', null),
    deepseek('deepseek-v4-flash', null),
    deepseek('deepseek-v4-pro', null),
  ],
  mistral: [
    mistral('mistral-small-latest', ['mistral-small-']),
    mistral('mistral-medium-latest', ['mistral-medium-']),
    mistral('mistral-large-latest', ['mistral-large-']),
    mistral('codestral-latest', ['codestral-']),
    mistral('ministral-8b-latest', ['ministral-8b-']),
    mistral('mistral-embed'),
  ],
};

/**
 * How every model id of a provider begins. Anthropic's are all `claude-…`; OpenAI's come in the
 * families below (`ft:` for fine-tunes of them). A name outside its provider's families cannot
 * be one of its models, and is refused at intake.
 */
const MODEL_FAMILIES: Partial<Record<ProviderName, readonly string[]>> = {
  anthropic: ['claude-'],
  openai: [
    'gpt-',
    'chatgpt-',
    'o1',
    'o3',
    'o4',
    'codex-',
    'computer-use-',
    'text-embedding-',
    'omni-moderation-',
    'davinci-',
    'babbage-',
    'ft:',
  ],
  // Gemini takes `gemini-…` with or without the `models/` resource prefix.
  gemini: ['gemini-', 'models/gemini-'],
  deepseek: ['deepseek-'],
  // Mistral's families, and `ft:` fine-tunes of them.
  mistral: [
    'mistral-',
    'ministral-',
    'magistral-',
    'codestral-',
    'devstral-',
    'pixtral-',
    'voxtral-',
    'open-mistral-',
    'open-mixtral-',
    'ft:',
  ],
};

/** The entry for a model id of a provider: exact id first, then the longest matching prefix. */
const modelLimitOf = (provider: ProviderName, name: string): ModelLimit | null => {
  const entries = MODEL_LIMITS[provider] ?? [];
  // `models/gemini-2.5-flash` is `gemini-2.5-flash`.
  const model = provider === 'gemini' ? name.replace(/^models\//, '') : name;
  const exact = entries.find((entry) => entry.model === model);
  if (exact !== undefined) return exact;
  let best: { entry: ModelLimit; length: number } | null = null;
  for (const entry of entries) {
    for (const prefix of entry.match) {
      if (model.startsWith(prefix) && (best === null || prefix.length > best.length)) {
        best = { entry, length: prefix.length };
      }
    }
  }
  return best?.entry ?? null;
};

/** Whether a model id is one this table knows for the provider. */
const isKnownModel = (provider: ProviderName, model: string): boolean =>
  modelLimitOf(provider, model) !== null;

/**
 * Whether a model id can belong to the provider at all; true for providers whose ids batchlane
 * does not constrain.
 */
const isModelOfProvider = (provider: ProviderName, model: string): boolean => {
  const families = MODEL_FAMILIES[provider];
  return families === undefined || families.some((prefix) => model.startsWith(prefix));
};

/** The output-token cap of a known model, or null (unknown model, or no output tokens). */
const maxOutputTokensOf = (provider: ProviderName, model: string): number | null =>
  modelLimitOf(provider, model)?.maxOutputTokens ?? null;

/**
 * The body field that asks for a number of output tokens, per endpoint: `max_tokens` for
 * Anthropic Messages, `max_completion_tokens` (or the older `max_tokens`) for Chat
 * Completions, `max_output_tokens` for Responses.
 */
const requestedOutputTokens = (
  endpoint: string,
  body: Record<string, unknown>,
): { readonly field: string; readonly value: number } | null => {
  if (endpoint === 'generateContent') {
    // Gemini keeps the limit in `generationConfig` (either spelling).
    for (const [config, field] of [
      ['generationConfig', 'maxOutputTokens'],
      ['generation_config', 'max_output_tokens'],
    ] as const) {
      const nested = body[config];
      const value =
        typeof nested === 'object' && nested !== null
          ? (nested as Record<string, unknown>)[field]
          : undefined;
      if (typeof value === 'number' && Number.isFinite(value)) {
        return { field: `${config}.${field}`, value };
      }
    }
    return null;
  }
  const fields =
    endpoint === '/v1/chat/completions'
      ? ['max_completion_tokens', 'max_tokens']
      : endpoint === '/v1/responses'
        ? ['max_output_tokens']
        : endpoint === '/v1/messages'
          ? ['max_tokens']
          : [];
  for (const field of fields) {
    const value = body[field];
    if (typeof value === 'number' && Number.isFinite(value)) return { field, value };
  }
  return null;
};

export {
  isKnownModel,
  isModelOfProvider,
  MODEL_FAMILIES,
  MODEL_LIMITS,
  type ModelLimit,
  maxOutputTokensOf,
  modelLimitOf,
  requestedOutputTokens,
};
