import type { BatchlaneConfig, ProviderConnection } from '../../config/BatchlaneConfig.js';
import type { ProviderName } from '../../contract/providers.js';
import { ConfigError } from '../../domain/errors.js';
import type { BatchProvider } from '../../ports/BatchProvider.js';
import { buildPerProvider, profileFor } from './buildPerProvider.js';
import { lazyBatchProvider } from './lazyProviders.js';

/** SDK client settings shared by every provider built here. */
interface BatchProviderClientOptions {
  /** SDK-level retries of one call (SDK default 2). */
  readonly maxRetries?: number;
  /** Per-call timeout (SDK default 10 min, longer than most handler budgets). */
  readonly timeoutMs?: number;
}

/**
 * Stands in for a provider that is not enabled, so the record is total and a batch that
 * names a disabled provider fails loudly instead of with `undefined is not an object`.
 */
const disabledProvider = (name: ProviderName): BatchProvider => {
  const refuse = (): Promise<never> =>
    Promise.reject(
      new ConfigError(`Provider ${name} is not enabled in this deployment`, {
        code: 'provider_disabled',
        details: { provider: name },
      }),
    );
  return { name, submit: refuse, retrieve: refuse, cancel: refuse, openResults: refuse };
};

const createProvider = (
  name: ProviderName,
  apiKey: string,
  connection: ProviderConnection,
  options: BatchProviderClientOptions,
  bedrock: (() => Promise<BatchProvider>) | undefined,
  profiles: BatchlaneConfig['profiles'],
): BatchProvider => {
  const common = { apiKey, baseUrl: connection.baseUrl, ...options };
  // Each adapter (and its SDK) is imported at its first call: see lazyProviders.ts.
  switch (name) {
    case 'anthropic':
      return lazyBatchProvider(
        name,
        async () =>
          new (await import('./AnthropicBatchProvider.js')).AnthropicBatchProvider(common),
      );
    case 'openai':
      return lazyBatchProvider(
        name,
        async () => new (await import('./OpenAIBatchProvider.js')).OpenAIBatchProvider(common),
      );
    case 'bedrock':
      if (bedrock === undefined) {
        throw new ConfigError('Bedrock is enabled but its service role is not configured', {
          code: 'missing_config',
          details: { provider: name },
        });
      }
      return lazyBatchProvider(name, bedrock);
    case 'gemini':
      return lazyBatchProvider(
        name,
        async () => new (await import('./GeminiBatchProvider.js')).GeminiBatchProvider(common),
      );
    case 'mistral':
      return lazyBatchProvider(
        name,
        async () => new (await import('./MistralBatchProvider.js')).MistralBatchProvider(common),
      );
    case 'deepseek':
      // No batch API: its requests never reach a batch (see the lanes table).
      return disabledProvider(name);
    default: {
      // A provider profile: OpenAI's Batch API at the profile's URL, with its departures.
      // Resolved now, so a profile the deployment lacks fails at start, not at first call.
      const profile = profileFor(name, profiles);
      return lazyBatchProvider(
        name,
        async () =>
          new (await import('./OpenAIBatchProvider.js')).OpenAIBatchProvider({
            ...common,
            profile,
          }),
      );
    }
  }
};

/**
 * One {@link BatchProvider} per provider, built for those in `config.enabledProviders`
 * (API keys resolved concurrently through `resolveApiKey`, e.g. from Secrets Manager; the
 * adapter and its SDK loaded at the provider's first call);
 * providers not enabled are placeholders whose every call rejects with a `ConfigError`.
 */
const createBatchProviders = async (
  config: BatchlaneConfig,
  resolveApiKey: (connection: ProviderConnection, provider: ProviderName) => Promise<string>,
  options: BatchProviderClientOptions = {},
  /**
   * Builds the Bedrock adapter at its first call (AWS clients and the artifacts bucket come
   * from the root, which imports Bedrock's SDK only then).
   */
  bedrock?: () => Promise<BatchProvider>,
): Promise<Record<ProviderName, BatchProvider>> => {
  return buildPerProvider(config, resolveApiKey, {
    enabled: (name, apiKey, connection) =>
      createProvider(name, apiKey, connection, options, bedrock, config.profiles),
    disabled: disabledProvider,
  });
};

export { type BatchProviderClientOptions, createBatchProviders };
