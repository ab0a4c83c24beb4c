import { type RunningSimulator, startSimulator } from '../../../local/simulator/startSimulator.js';
import { createApiKeyResolver } from '../../../shared/adapters/aws/createApiKeyResolver.js';
import { createBatchProviders } from '../../../shared/adapters/providers/createBatchProviders.js';
import { OpenAIBatchProvider } from '../../../shared/adapters/providers/OpenAIBatchProvider.js';
import { ENV, profileEnvNames } from '../../../shared/config/BatchlaneConfig.js';
import { loadConfig } from '../../../shared/config/loadConfig.js';
import {
  BUILT_IN_PROFILE_IDS,
  BUILT_IN_PROFILES,
  type BuiltInProfileId,
} from '../../../shared/contract/providerProfile.js';
import { formatProviderLine } from '../../../shared/domain/formatProviderLine.js';
import type { BatchProvider } from '../../../shared/ports/BatchProvider.js';
import {
  type BatchProviderSubject,
  describeBatchProviderContract,
} from '../../contract/BatchProviderContract.js';
import { ACME_PROFILE } from '../../support/acmeProfile.js';
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

/**
 * The contract's subject: `port` and `wrongKey` driving the provider `id` the simulator
 * serves, its chat requests asking for `model`.
 */
const chatSubject = (
  sim: RunningSimulator,
  id: string,
  model: string,
  port: BatchProvider,
  wrongKey: BatchProvider,
): BatchProviderSubject => {
  const line = (customId: string): string =>
    formatProviderLine(id, '/v1/chat/completions', customId, {
      model,
      max_tokens: 64,
      messages: [{ role: 'user', content: `question for ${customId}` }],
    });
  return {
    port,
    endpoint: '/v1/chat/completions',
    unknownId: UNKNOWN_ID,
    line,
    refused: (base) => ({
      line: line(`${base}${REFUSED}`),
      customId: `${base}${REFUSED}`,
      errorType: 'invalid_request_error',
    }),
    waitForEnded: (batchId) => waitForEnded(port, batchId),
    slowDown: () => sim.setFaults({ processingMs: 60_000 }),
    expireResults: () => sim.setFaults({ resultsRetentionMs: 0 }),
    wrongKey,
    close: () => sim.stop(),
  };
};

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
      return chatSubject(
        sim,
        id,
        MODELS[id],
        new OpenAIBatchProvider({ apiKey: API_KEY, baseUrl, profile }),
        new OpenAIBatchProvider({ apiKey: 'sk-wrong', baseUrl, maxRetries: 0, profile }),
      );
    },
  );
}

/**
 * A profile of the deployment's own (`acme`), built as the functions build it: its entry in
 * `BATCHLANE_PROVIDER_PROFILES`, its key from the variable the profile names, its base URL
 * from `BATCHLANE_ACME_BASE_URL`, and the adapter from `createBatchProviders`.
 */
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
      [ENV.providerProfiles]: JSON.stringify([ACME_PROFILE]),
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
    return chatSubject(
      sim,
      'acme',
      'acme-chat-1',
      await build(API_KEY),
      await build('sk-wrong', { maxRetries: 0 }),
    );
  },
);
