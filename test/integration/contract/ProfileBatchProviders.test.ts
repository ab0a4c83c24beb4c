import { startSimulator } from '../../../local/simulator/startSimulator.js';
import { OpenAIBatchProvider } from '../../../shared/adapters/providers/OpenAIBatchProvider.js';
import {
  BUILT_IN_PROFILE_IDS,
  BUILT_IN_PROFILES,
  type BuiltInProfileId,
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
        wrongKey: new OpenAIBatchProvider({ apiKey: 'sk-wrong', baseUrl, maxRetries: 0, profile }),
        close: () => sim.stop(),
      };
    },
  );
}
