import type { BatchlaneConfig, ProviderConnection } from '../../config/BatchlaneConfig.js';
import type { ProviderName } from '../../contract/providers.js';
import { ConfigError } from '../../domain/errors.js';
import type { BatchProvider } from '../../ports/BatchProvider.js';
import { AnthropicBatchProvider } from './AnthropicBatchProvider.js';
import type { BedrockBatchProvider } from './BedrockBatchProvider.js';
import { buildPerProvider, profileFor } from './buildPerProvider.js';
import { GeminiBatchProvider } from './GeminiBatchProvider.js';
import { MistralBatchProvider } from './MistralBatchProvider.js';
import { OpenAIBatchProvider } from './OpenAIBatchProvider.js';

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
  bedrock: (() => BedrockBatchProvider) | undefined,
  profiles: BatchlaneConfig['profiles'],
): BatchProvider => {
  const common = { apiKey, baseUrl: connection.baseUrl, ...options };
  switch (name) {
    case 'anthropic':
      return new AnthropicBatchProvider(common);
    case 'openai':
      return new OpenAIBatchProvider(common);
    case 'bedrock':
      if (bedrock === undefined) {
        throw new ConfigError('Bedrock is enabled but its service role is not configured', {
          code: 'missing_config',
          details: { provider: name },
        });
      }
      return bedrock();
    case 'gemini':
      return new GeminiBatchProvider(common);
    case 'mistral':
      return new MistralBatchProvider(common);
    case 'deepseek':
      // No batch API: its requests never reach a batch (see the lanes table).
      return disabledProvider(name);
    default:
      // A provider profile: OpenAI's Batch API at the profile's URL, with its departures.
      return new OpenAIBatchProvider({
        ...common,
        profile: profileFor(name, profiles),
      });
  }
};

/**
 * One {@link BatchProvider} per provider, built for those in `config.enabledProviders`
 * (API keys resolved concurrently through `resolveApiKey`, e.g. from Secrets Manager);
 * providers not enabled are placeholders whose every call rejects with a `ConfigError`.
 */
const createBatchProviders = async (
  config: BatchlaneConfig,
  resolveApiKey: (connection: ProviderConnection, provider: ProviderName) => Promise<string>,
  options: BatchProviderClientOptions = {},
  /** Builds the Bedrock adapter (AWS clients and the artifacts bucket come from the root). */
  bedrock?: () => BedrockBatchProvider,
): Promise<Record<ProviderName, BatchProvider>> => {
  return buildPerProvider(config, resolveApiKey, {
    enabled: (name, apiKey, connection) =>
      createProvider(name, apiKey, connection, options, bedrock, config.profiles),
    disabled: disabledProvider,
  });
};

export { type BatchProviderClientOptions, createBatchProviders };
