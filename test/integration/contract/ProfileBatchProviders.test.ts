import { startSimulator } from '../../../local/simulator/startSimulator.js';
import { createApiKeyResolver } from '../../../shared/adapters/aws/createApiKeyResolver.js';
import { createBatchProviders } from '../../../shared/adapters/providers/createBatchProviders.js';
import { OpenAIBatchProvider } from '../../../shared/adapters/providers/OpenAIBatchProvider.js';
import { ENV, profileEnvNames } from '../../../shared/config/BatchlaneConfig.js';
import { loadConfig } from '../../../shared/config/loadConfig.js';
import {
  BUILT_IN_PROFILE_IDS,
  BUILT_IN_PROFILES,
  type BuiltInProfileId,
  type ProviderProfileInput,
} from '../../../shared/contract/providerProfile.js';
import { formatProviderLine } from '../../../shared/domain/formatProviderLine.js';
import { describeBatchProviderContract } from '../../contract/BatchProviderContract.js';
import { API_KEY, waitForEnded } from '../providers/providerTestKit.js';

/** The simulator's own marker: a request whose custom id ends in it is refused. */
const REFUSED = '__sim_invalid_request_error';

/** A model each provider offers in batch. */
const MODELS: Record<BuiltInProfileId, string> = {
  together: 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo',
  groq: 'llama-3.1-8b-instant',
  xai: 'grok-3-mini',
  'azure-openai': 'gpt-4o-mini',
};

/** Batch ids as each provider shapes them (Together's are UUIDs elsewhere; any unknown id). */
const UNKNOWN_ID = 'batch_abc123doesnotexist';

for (const [index, id] of BUILT_IN_PROFILE_IDS.entries()) {
  describeBatchProviderContract(
    `OpenAIBatchProvider with the ${id} profile on the simulator`,
    async () => {
      const sim = await startSimulator({
        port: 0,
        processingMs: 300,
        seed: 20 + index,
        apiKeys: [API_KEY],
      });
      const profile = BUILT_IN_PROFILES[id];
      const baseUrl = sim.profileBaseUrls[id] ?? null;
      const provider = new OpenAIBatchProvider({ apiKey: API_KEY, baseUrl, profile });
      const line = (customId: string): string =>
        formatProviderLine(id, '/v1/chat/completions', customId, {
          model: MODELS[id],
          max_tokens: 64,
          messages: [{ role: 'user', content: `question for ${customId}` }],
        });
      return {
        port: provider,
        endpoint: '/v1/chat/completions',
        unknownId: UNKNOWN_ID,
        line,
        refused: (base) => ({
          line: line(`${base}${REFUSED}`),
          customId: `${base}${REFUSED}`,
          errorType: 'invalid_request_error',
        }),
        waitForEnded: (batchId) => waitForEnded(provider, batchId),
        slowDown: () => sim.setFaults({ processingMs: 60_000 }),
        expireResults: () => sim.setFaults({ resultsRetentionMs: 0 }),
        wrongKey: new OpenAIBatchProvider({ apiKey: 'sk-wrong', baseUrl, maxRetries: 0, profile }),
        close: () => sim.stop(),
      };
    },
  );
}

/**
 * A profile of the deployment's own (`acme`), built as the functions build it: its entry in
 * `BATCHLANE_PROVIDER_PROFILES`, its key from the variable the profile names, its base URL
 * from `BATCHLANE_ACME_BASE_URL`, and the adapter from `createBatchProviders`.
 */
const ACME: ProviderProfileInput = {
  id: 'acme',
  baseUrl: 'https://api.acme.example/v1',
  key: { secretName: 'batchlane/acme', envVar: 'ACME_API_KEY' },
  endpoints: ['/v1/chat/completions'],
  limits: { maxRequests: 50_000, maxBytes: 100_000_000, maxEnqueuedTokens: null },
  window: { request: '24h', accepted: ['24h'], runsPastHours: null },
  batchDiscount: 0.5,
};

describeBatchProviderContract(
  "OpenAIBatchProvider with a deployment's own profile on the simulator",
  async () => {
    const sim = await startSimulator({
      port: 0,
      processingMs: 300,
      seed: 31,
      apiKeys: [API_KEY],
      profiles: [{ id: 'acme', models: ['acme-chat-1'] }],
    });
    const env = (apiKey: string) => ({
      [ENV.tableName]: 't',
      [ENV.bucketName]: 'b',
      [ENV.eventBusName]: 'e',
      [ENV.completionQueueUrl]: 'https://sqs.us-east-1.amazonaws.com/123456789012/c',
      [ENV.enabledProviders]: 'acme',
      [ENV.providerProfiles]: JSON.stringify([ACME]),
      ACME_API_KEY: apiKey,
      [profileEnvNames('acme').baseUrl]: sim.profileBaseUrls['acme'] ?? '',
    });
    const build = async (apiKey: string, options: { maxRetries?: number } = {}) => {
      const config = loadConfig(env(apiKey));
      const resolveApiKey = createApiKeyResolver(() => {
        throw new Error('the key comes from its variable, not from Secrets Manager');
      });
      const providers = await createBatchProviders(config, resolveApiKey, options);
      const acme = providers['acme'];
      if (acme === undefined) throw new Error('no adapter was built for acme');
      return acme;
    };
    const provider = await build(API_KEY);
    const line = (customId: string): string =>
      formatProviderLine('acme', '/v1/chat/completions', customId, {
        model: 'acme-chat-1',
        max_tokens: 64,
        messages: [{ role: 'user', content: `question for ${customId}` }],
      });
    return {
      port: provider,
      endpoint: '/v1/chat/completions',
      unknownId: UNKNOWN_ID,
      line,
      refused: (base) => ({
        line: line(`${base}${REFUSED}`),
        customId: `${base}${REFUSED}`,
        errorType: 'invalid_request_error',
      }),
      waitForEnded: (batchId) => waitForEnded(provider, batchId),
      slowDown: () => sim.setFaults({ processingMs: 60_000 }),
      wrongKey: await build('sk-wrong', { maxRetries: 0 }),
      close: () => sim.stop(),
    };
  },
);
