import { describe, expect, it, vi } from 'vitest';
import { AnthropicBatchProvider } from '../../../shared/adapters/providers/AnthropicBatchProvider.js';
import { createBatchProviders } from '../../../shared/adapters/providers/createBatchProviders.js';
import type { LazyBatchProvider } from '../../../shared/adapters/providers/lazyProviders.js';
import { OpenAIBatchProvider } from '../../../shared/adapters/providers/OpenAIBatchProvider.js';
import type { BatchlaneConfig } from '../../../shared/config/BatchlaneConfig.js';
import { ConfigError } from '../../../shared/domain/errors.js';
import { defaultPriceTable } from '../../../shared/domain/pricing/defaultPriceTable.js';

const config = (enabled: BatchlaneConfig['enabledProviders']): BatchlaneConfig => ({
  tableName: 't',
  bucketName: 'b',
  eventBusName: 'e',
  completionQueueUrl: 'q',
  defaultDestination: null,
  enabledProviders: enabled,
  providers: {
    anthropic: { apiKey: 'ak', secretArn: null, baseUrl: 'http://127.0.0.1:1' },
    openai: { apiKey: null, secretArn: 'arn:secret', baseUrl: null },
    bedrock: { apiKey: null, secretArn: null, baseUrl: null },
    gemini: { apiKey: null, secretArn: null, baseUrl: null },
    mistral: { apiKey: null, secretArn: null, baseUrl: null },
    deepseek: { apiKey: null, secretArn: null, baseUrl: null },
  },
  idempotencyTtlSeconds: 60,
  maxRequestsPerBatch: null,
  maxBytesPerBatch: null,
  pollIntervalSeconds: 30,
  batchMaxAgeSeconds: 0,
  webhookSecrets: null,
  allowPrivateWebhooks: false,
  destinationPolicy: { kind: 'listed', entries: [] },
  region: 'us-east-1',
  maxClaimCheckBytes: 1024,
  maxAttempts: 3,
  publishRequestEvents: false,
  leaseSeconds: 960,
  priceTable: defaultPriceTable,
  costTagKey: 'tag',
  realtimeQueueUrl: null,
  autoBatchWindowSeconds: 86_400,
  autoMarginSeconds: 3600,
  escalateBeforeDeadlineSeconds: 1800,
  intakeQueueUrl: null,
  quotas: {},
  budgetDailyUsd: null,
  budgetMonthlyUsd: null,
  unpricedCeilingUsdPerMTok: null,
  producers: { selfPrincipals: [], namespaces: [] },
  quotaRetrySeconds: 60,
  realtimeRetryBaseSeconds: 10,
  completionRetrySeconds: 30,
  bedrock: null,
});

describe('createBatchProviders', () => {
  it('builds one adapter per enabled provider, resolving each key once', async () => {
    const resolveApiKey = vi.fn(async (_conn: unknown, provider: string) => `key-${provider}`);
    const providers = await createBatchProviders(config(['anthropic', 'openai']), resolveApiKey);
    const adapterOf = (name: 'anthropic' | 'openai') =>
      (providers[name] as LazyBatchProvider).adapter();
    expect(await adapterOf('anthropic')).toBeInstanceOf(AnthropicBatchProvider);
    expect(await adapterOf('openai')).toBeInstanceOf(OpenAIBatchProvider);
    // Built once: every call after the first reaches the same adapter.
    expect(await adapterOf('openai')).toBe(await adapterOf('openai'));
    expect(providers.anthropic?.name).toBe('anthropic');
    expect(providers.openai?.name).toBe('openai');
    expect(resolveApiKey).toHaveBeenCalledTimes(2);
    expect(resolveApiKey).toHaveBeenCalledWith(config([]).providers.openai, 'openai');
  });

  it('gives disabled providers a placeholder that rejects with ConfigError', async () => {
    const resolveApiKey = vi.fn(async () => 'key');
    const providers = await createBatchProviders(config(['anthropic']), resolveApiKey);
    expect(resolveApiKey).toHaveBeenCalledTimes(1);
    expect(providers.openai?.name).toBe('openai');
    await expect(providers.openai!.retrieve('x')).rejects.toBeInstanceOf(ConfigError);
    await expect(providers.openai!.openResults('x')).rejects.toMatchObject({
      code: 'provider_disabled',
    });
  });

  it('fails loudly on an empty API key', async () => {
    await expect(createBatchProviders(config(['openai']), async () => ' ')).rejects.toBeInstanceOf(
      ConfigError,
    );
  });
});
