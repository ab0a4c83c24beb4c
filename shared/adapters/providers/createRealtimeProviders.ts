import type { BatchlaneConfig, ProviderConnection } from '../../config/BatchlaneConfig.js';
import type { ProviderName } from '../../contract/providers.js';
import { ConfigError } from '../../domain/errors.js';
import type { RealtimeProvider } from '../../ports/RealtimeProvider.js';
import { AnthropicRealtimeProvider } from './AnthropicRealtimeProvider.js';
import type { BedrockRealtimeProvider } from './BedrockRealtimeProvider.js';
import { buildPerProvider, profileFor } from './buildPerProvider.js';
import type { RealtimeRetryOptions } from './callWithRetries.js';
import { DeepSeekRealtimeProvider } from './DeepSeekRealtimeProvider.js';
import { GeminiRealtimeProvider } from './GeminiRealtimeProvider.js';
import { MistralRealtimeProvider } from './MistralRealtimeProvider.js';
import { OpenAIRealtimeProvider } from './OpenAIRealtimeProvider.js';

/** Settings shared by every realtime provider built here. */
interface RealtimeProviderClientOptions {
  /** Timeout of one standard-tier try (default 10 min); OpenAI flex tries always get 15 min. */
  readonly timeoutMs?: number;
  /** Client-side retries (the SDKs' own are off); `flexMaxRetries` only matters to OpenAI. */
  readonly retry?: RealtimeRetryOptions;
}

/** Stands in for a provider that is not enabled: every call rejects with a `ConfigError`. */
const disabledProvider = (name: ProviderName): RealtimeProvider => ({
  name,
  supportsFlex: false,
  invoke: () =>
    Promise.reject(
      new ConfigError(`Provider ${name} is not enabled in this deployment`, {
        code: 'provider_disabled',
        details: { provider: name },
      }),
    ),
});

const createProvider = (
  name: ProviderName,
  apiKey: string,
  connection: ProviderConnection,
  options: RealtimeProviderClientOptions,
  bedrock: (() => BedrockRealtimeProvider) | undefined,
  profiles: BatchlaneConfig['profiles'],
): RealtimeProvider => {
  const common = { apiKey, baseUrl: connection.baseUrl, ...options };
  switch (name) {
    case 'anthropic':
      return new AnthropicRealtimeProvider(common);
    case 'openai':
      return new OpenAIRealtimeProvider(common);
    case 'bedrock':
      return bedrock === undefined ? disabledProvider(name) : bedrock();
    case 'gemini':
      return new GeminiRealtimeProvider(common);
    case 'mistral':
      return new MistralRealtimeProvider(common);
    case 'deepseek':
      return new DeepSeekRealtimeProvider(common);
    default:
      return new OpenAIRealtimeProvider({
        ...common,
        profile: profileFor(name, profiles),
      });
  }
};

/**
 * One {@link RealtimeProvider} per provider, from the same settings as the batch providers
 * (`config.providers[name].baseUrl`; API keys resolved concurrently through `resolveApiKey`,
 * e.g. from Secrets Manager); providers not enabled are placeholders whose every call
 * rejects with a `ConfigError`.
 *
 * @example
 * ```ts
 * const realtime = await createRealtimeProviders(config, resolveApiKey);
 * const outcome = await realtime.openai.invoke({ endpoint, body, lane: 'flex', deadline });
 * ```
 */
const createRealtimeProviders = async (
  config: Pick<BatchlaneConfig, 'enabledProviders' | 'providers' | 'profiles'>,
  resolveApiKey: (connection: ProviderConnection, provider: ProviderName) => Promise<string>,
  options: RealtimeProviderClientOptions = {},
  /** Builds the Bedrock runtime adapter (its AWS client comes from the composition root). */
  bedrock?: () => BedrockRealtimeProvider,
): Promise<Record<ProviderName, RealtimeProvider>> => {
  return buildPerProvider(config, resolveApiKey, {
    enabled: (name, apiKey, connection) =>
      createProvider(name, apiKey, connection, options, bedrock, config.profiles),
    disabled: disabledProvider,
  });
};

export { createRealtimeProviders, type RealtimeProviderClientOptions };
