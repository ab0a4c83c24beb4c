import type { BatchlaneConfig, ProviderConnection } from '../../config/BatchlaneConfig.js';
import { BUILT_IN_PROFILES, type ProviderProfile } from '../../contract/providerProfile.js';
import { providerRegistry } from '../../contract/providerRegistry.js';
import type { ProviderName } from '../../contract/providers.js';
import { ConfigError } from '../../domain/errors.js';

/** A provider named by no setting: a key from nowhere, the SDK's or profile's base URL. */
const NO_CONNECTION: ProviderConnection = { apiKey: null, secretArn: null, baseUrl: null };

/**
 * One client per provider: built with its API key (resolved concurrently, e.g. from Secrets
 * Manager) where the deployment enables the provider, a stand-in that refuses every call
 * where it does not. A missing key fails at start, naming the provider.
 */
const buildPerProvider = async <T>(
  config: Pick<BatchlaneConfig, 'enabledProviders' | 'providers' | 'profiles'>,
  resolveApiKey: (connection: ProviderConnection, provider: ProviderName) => Promise<string>,
  build: {
    readonly enabled: (name: ProviderName, apiKey: string, connection: ProviderConnection) => T;
    readonly disabled: (name: ProviderName) => T;
  },
): Promise<Record<ProviderName, T>> => {
  const entries = await Promise.all(
    // Every provider the deployment knows: the built-in ones and its own profiles.
    providerRegistry(config.profiles).ids.map(async (name): Promise<[ProviderName, T]> => {
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

/**
 * The profile a profile-driven provider is built from: the deployment's (built in with its
 * changes, or its own), else the built-in one.
 */
const profileFor = (
  name: ProviderName,
  profiles: Readonly<Record<string, ProviderProfile>> | undefined,
): ProviderProfile => {
  const profile =
    profiles?.[name] ?? (BUILT_IN_PROFILES as Readonly<Record<string, ProviderProfile>>)[name];
  if (profile === undefined) {
    throw new ConfigError(`Provider ${name} is neither built in nor a profile of this deployment`, {
      code: 'invalid_config',
      details: { provider: name },
    });
  }
  return profile;
};

export { buildPerProvider, profileFor };
