import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { ProviderConnection } from '../../config/BatchlaneConfig.js';
import type { ProviderName } from '../../contract/providers.js';
import { ConfigError } from '../../domain/errors.js';
import { translateAwsError } from './translateAwsError.js';

/**
 * Resolves a provider's API key: given directly (local runs), or read once per execution
 * environment from Secrets Manager (deployed stacks keep keys out of the environment and the
 * template). The secret holds the key itself, or JSON with an `apiKey` field.
 */
const createApiKeyResolver = (client: () => SecretsManagerClient) => {
  const cache = new Map<string, Promise<string>>();

  const readSecret = async (arn: string, provider: ProviderName): Promise<string> => {
    let value: string | undefined;
    try {
      value = (await client().send(new GetSecretValueCommand({ SecretId: arn }))).SecretString;
    } catch (error) {
      throw translateAwsError(error, { operation: 'GetSecretValue', resource: arn });
    }
    const trimmed = value?.trim() ?? '';
    const key = trimmed.startsWith('{')
      ? (JSON.parse(trimmed) as { apiKey?: unknown }).apiKey
      : trimmed;
    if (typeof key !== 'string' || key.length === 0) {
      throw new ConfigError(`the ${provider} API key secret is empty: put the key in ${arn}`, {
        code: 'empty_secret',
        details: { provider },
      });
    }
    return key;
  };

  return (connection: ProviderConnection, provider: ProviderName): Promise<string> => {
    if (connection.apiKey !== null) return Promise.resolve(connection.apiKey);
    const arn = connection.secretArn;
    if (arn === null) {
      return Promise.reject(
        new ConfigError(`no API key configured for ${provider}: set its secret ARN or API key`, {
          code: 'missing_api_key',
          details: { provider },
        }),
      );
    }
    let pending = cache.get(arn);
    if (pending === undefined) {
      pending = readSecret(arn, provider);
      // A failed read is not cached, so a key put in later is picked up.
      pending.catch(() => cache.delete(arn));
      cache.set(arn, pending);
    }
    return pending;
  };
};

export { createApiKeyResolver };
