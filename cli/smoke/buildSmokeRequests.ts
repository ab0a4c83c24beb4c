import type { BuiltInProviderName } from '../../shared/contract/providers.js';
import type { RequestV1Input } from '../../shared/contract/request.js';

/** Small, cheap default models; `--anthropic-model` / `--openai-model` override them. */
const DEFAULT_SMOKE_MODELS: Readonly<Record<BuiltInProviderName, string>> = {
  anthropic: 'claude-haiku-4-5',
  openai: 'gpt-4.1-nano',
  bedrock: 'us.amazon.nova-micro-v1:0',
  gemini: 'gemini-2.0-flash',
  mistral: 'mistral-small-latest',
  deepseek: 'deepseek-flash',
  together: 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo',
  groq: 'llama-3.1-8b-instant',
  xai: 'grok-3-mini',
  'azure-openai': 'gpt-4.1-nano',
};

interface SmokeRequestOptions {
  /** Distinguishes this run's custom ids and metadata from any other run's. */
  readonly runId: string;
  /** How many requests, spread round-robin over `providers`. */
  readonly count: number;
  readonly providers: readonly BuiltInProviderName[];
  /** Where the results go (an SQS queue the deployment allows). */
  readonly resultsQueueUrl: string;
  /** Model per provider. @default DEFAULT_SMOKE_MODELS */
  readonly models?: Partial<Readonly<Record<BuiltInProviderName, string>>>;
}

/** One tiny request body in the provider's default endpoint's shape. */
const smokeBody = (
  provider: BuiltInProviderName,
  model: string,
  prompt: string,
): Record<string, unknown> =>
  provider === 'gemini'
    ? {
        model,
        contents: [{ role: 'user', parts: [{ text: prompt }] }],
        generationConfig: { maxOutputTokens: 8 },
      }
    : provider === 'bedrock'
      ? // Bedrock's body is the model's native input (Nova here); the model is named beside it.
        {
          messages: [{ role: 'user', content: [{ text: prompt }] }],
          inferenceConfig: { maxTokens: 8 },
        }
      : // Both other default endpoints (/v1/messages, /v1/chat/completions) take this shape.
        { model, max_tokens: 8, messages: [{ role: 'user', content: prompt }] };

/**
 * Builds the smoke requests: one tiny prompt each (a few tokens in and out, so a run costs
 * fractions of a cent), custom ids `smoke-<runId>-<n>`, results to the given SQS queue.
 */
const buildSmokeRequests = (options: SmokeRequestOptions): RequestV1Input[] => {
  if (!Number.isInteger(options.count) || options.count < 1) {
    throw new Error(`count must be a positive integer, got ${options.count}`);
  }
  if (options.providers.length === 0) throw new Error('no provider to send smoke requests to');
  const models = { ...DEFAULT_SMOKE_MODELS, ...options.models };
  const { providers } = options;
  return Array.from({ length: options.count }, (_, index): RequestV1Input => {
    const provider = providers[index % providers.length] ?? providers[0] ?? 'anthropic';
    const prompt = `Reply with the single word "ok" (smoke test ${index + 1}).`;
    return {
      custom_id: `smoke-${options.runId}-${String(index).padStart(4, '0')}`,
      provider,
      ...(provider === 'bedrock' ? { model: models.bedrock } : {}),
      body: smokeBody(provider, models[provider], prompt),
      destination: { type: 'sqs', queue_url: options.resultsQueueUrl },
      metadata: { batchlane_smoke: options.runId },
    };
  });
};

export { buildSmokeRequests, DEFAULT_SMOKE_MODELS, type SmokeRequestOptions };
