import type { BatchlaneConfig, ProviderConnection } from '../../config/BatchlaneConfig.js';
import { PROVIDERS, type ProviderName } from '../../contract/providers.js';
import { ConfigError } from '../../domain/errors.js';

/** A provider named by no setting: a key from nowhere, the SDK's or profile's base URL. */
const NO_CONNECTION: ProviderConnection = { apiKey: null, secretArn: null, baseUrl: null };

/**
 * One client per provider: built with its API key (resolved concurrently, e.g. from Secrets
 * Manager) where the deployment enables the provider, a stand-in that refuses every call
 * where it does not. A missing key fails at start, naming the provider.
 */
const buildPerProvider = async <T>(
  config: Pick<BatchlaneConfig, 'enabledProviders' | 'providers'>,
  resolveApiKey: (connection: ProviderConnection, provider: ProviderName) => Promise<string>,
  build: {
    readonly enabled: (name: ProviderName, apiKey: string, connection: ProviderConnection) => T;
    readonly disabled: (name: ProviderName) => T;
  },
): Promise<Record<ProviderName, T>> => {
  const entries = await Promise.all(
    PROVIDERS.map(async (name): Promise<[ProviderName, T]> => {
      if (!config.enabledProviders.includes(name)) return [name, build.disabled(name)];
      const connection = config.providers[name] ?? NO_CONNECTION;
      // Bedrock signs its calls with the function's AWS credentials: there is no key.
      if (name === 'bedrock') return [name, build.enabled(name, '', connection)];
      const apiKey = await resolveApiKey(connection, name);
      if (apiKey.trim() === '') {
        throw new ConfigError(`No API key for provider ${name}`, {
          code: 'missing_config',
          details: { provider: name },
        });
      }
      return [name, build.enabled(name, apiKey, connection)];
    }),
  );
  return Object.fromEntries(entries) as Record<ProviderName, T>;
};

export { buildPerProvider };
