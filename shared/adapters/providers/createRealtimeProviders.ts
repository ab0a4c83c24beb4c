import type { BatchlaneConfig, ProviderConnection } from '../../config/BatchlaneConfig.js';
import type { ProviderName } from '../../contract/providers.js';
import { ConfigError } from '../../domain/errors.js';
import type { RealtimeProvider } from '../../ports/RealtimeProvider.js';
import { buildPerProvider, profileFor } from './buildPerProvider.js';
import type { RealtimeRetryOptions } from './callWithRetries.js';
import { lazyRealtimeProvider } from './lazyProviders.js';

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
  bedrock: (() => Promise<RealtimeProvider>) | undefined,
  profiles: BatchlaneConfig['profiles'],
): RealtimeProvider => {
  const common = { apiKey, baseUrl: connection.baseUrl, ...options };
  // Each adapter (and its SDK) is imported at its first call: see lazyProviders.ts. Which
  // of them take the flex lane is said here, where no adapter is loaded yet.
  switch (name) {
    case 'anthropic':
      return lazyRealtimeProvider(
        name,
        false,
        async () =>
          new (await import('./AnthropicRealtimeProvider.js')).AnthropicRealtimeProvider(common),
      );
    case 'openai':
      return lazyRealtimeProvider(
        name,
        true,
        async () =>
          new (await import('./OpenAIRealtimeProvider.js')).OpenAIRealtimeProvider(common),
      );
    case 'bedrock':
      return bedrock === undefined
        ? disabledProvider(name)
        : lazyRealtimeProvider(name, false, bedrock);
    case 'gemini':
      return lazyRealtimeProvider(
        name,
        true,
        async () =>
          new (await import('./GeminiRealtimeProvider.js')).GeminiRealtimeProvider(common),
      );
    case 'mistral':
      return lazyRealtimeProvider(
        name,
        false,
        async () =>
          new (await import('./MistralRealtimeProvider.js')).MistralRealtimeProvider(common),
      );
    case 'deepseek':
      return lazyRealtimeProvider(
        name,
        false,
        async () =>
          new (await import('./DeepSeekRealtimeProvider.js')).DeepSeekRealtimeProvider(common),
      );
    default: {
      // A profile's endpoint has no flex tier (OpenAIRealtimeProvider says so too).
      // Resolved now, so a profile the deployment lacks fails at start, not at first call.
      const profile = profileFor(name, profiles);
      return lazyRealtimeProvider(
        name,
        false,
        async () =>
          new (await import('./OpenAIRealtimeProvider.js')).OpenAIRealtimeProvider({
            ...common,
            profile,
          }),
      );
    }
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
  /** Builds the Bedrock runtime adapter at its first call (its client comes from the root). */
  bedrock?: () => Promise<RealtimeProvider>,
): Promise<Record<ProviderName, RealtimeProvider>> => {
  return buildPerProvider(config, resolveApiKey, {
    enabled: (name, apiKey, connection) =>
      createProvider(name, apiKey, connection, options, bedrock, config.profiles),
    disabled: disabledProvider,
  });
};

export { createRealtimeProviders, type RealtimeProviderClientOptions };
