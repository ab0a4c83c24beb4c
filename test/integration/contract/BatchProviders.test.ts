import { startSimulator } from '../../../local/simulator/startSimulator.js';
import { AnthropicBatchProvider } from '../../../shared/adapters/providers/AnthropicBatchProvider.js';
import { OpenAIBatchProvider } from '../../../shared/adapters/providers/OpenAIBatchProvider.js';
import { formatProviderLine } from '../../../shared/domain/formatProviderLine.js';
import { describeBatchProviderContract } from '../../contract/BatchProviderContract.js';
import { API_KEY, waitForEnded } from '../providers/providerTestKit.js';

describeBatchProviderContract('AnthropicBatchProvider on the simulator', async () => {
  const sim = await startSimulator({ port: 0, processingMs: 300, seed: 3, apiKeys: [API_KEY] });
  const provider = new AnthropicBatchProvider({ apiKey: API_KEY, baseUrl: sim.anthropicBaseUrl });
  return {
    port: provider,
    endpoint: '/v1/messages',
    line: (customId) =>
      formatProviderLine('anthropic', '/v1/messages', customId, {
        model: 'claude-sonnet-4-6',
        max_tokens: 64,
        messages: [{ role: 'user', content: `question for ${customId}` }],
      }),
    refusedId: (base) => `${base}__sim_invalid_request_error`,
    waitForEnded: (id) => waitForEnded(provider, id),
    slowDown: () => sim.setFaults({ processingMs: 60_000 }),
    wrongKey: new AnthropicBatchProvider({
      apiKey: 'sk-wrong',
      baseUrl: sim.anthropicBaseUrl,
      maxRetries: 0,
    }),
    close: () => sim.stop(),
  };
});

describeBatchProviderContract('OpenAIBatchProvider on the simulator', async () => {
  const sim = await startSimulator({ port: 0, processingMs: 300, seed: 4, apiKeys: [API_KEY] });
  const provider = new OpenAIBatchProvider({ apiKey: API_KEY, baseUrl: sim.openaiBaseUrl });
  return {
    port: provider,
    endpoint: '/v1/chat/completions',
    line: (customId) =>
      formatProviderLine('openai', '/v1/chat/completions', customId, {
        model: 'gpt-4o-mini',
        max_tokens: 64,
        messages: [{ role: 'user', content: `question for ${customId}` }],
      }),
    refusedId: (base) => `${base}__sim_invalid_request_error`,
    waitForEnded: (id) => waitForEnded(provider, id),
    slowDown: () => sim.setFaults({ processingMs: 60_000 }),
    wrongKey: new OpenAIBatchProvider({
      apiKey: 'sk-wrong',
      baseUrl: sim.openaiBaseUrl,
      maxRetries: 0,
    }),
    close: () => sim.stop(),
  };
});
