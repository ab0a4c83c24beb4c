import { startSimulator } from '../../../local/simulator/startSimulator.js';
import { AnthropicRealtimeProvider } from '../../../shared/adapters/providers/AnthropicRealtimeProvider.js';
import { OpenAIRealtimeProvider } from '../../../shared/adapters/providers/OpenAIRealtimeProvider.js';
import { describeRealtimeProviderContract } from '../../contract/RealtimeProviderContract.js';
import { API_KEY } from '../providers/providerTestKit.js';

/** Backoff short enough that retries cost nothing when the simulator names no wait. */
const FAST_RETRY = { initialDelayMs: 1, maxDelayMs: 5 };

const simulatorFaults = (sim: Awaited<ReturnType<typeof startSimulator>>) => ({
  failTries: (persist: boolean) =>
    sim.setFaults({
      http: {
        rate: 1,
        statuses: [503],
        retryAfterMs: 1,
        ...(persist ? { maxPerRequest: 100 } : {}),
      },
    }),
  clearFailures: () => sim.setFaults({}),
  requestsReceived: () => sim.stats().http.requests,
});

describeRealtimeProviderContract('OpenAIRealtimeProvider on the simulator', async () => {
  const sim = await startSimulator({ seed: 5, apiKeys: [API_KEY] });
  return {
    port: new OpenAIRealtimeProvider({
      apiKey: API_KEY,
      baseUrl: sim.openaiBaseUrl,
      retry: FAST_RETRY,
    }),
    call: (lane) => ({
      endpoint: '/v1/chat/completions',
      body: { model: 'gpt-5-mini', messages: [{ role: 'user', content: 'Classify: spam?' }] },
      lane,
    }),
    badCall: () => ({
      endpoint: '/v1/chat/completions',
      body: { model: 'gpt-5-mini' },
      lane: 'realtime',
    }),
    ...simulatorFaults(sim),
    wrongKey: new OpenAIRealtimeProvider({ apiKey: 'wrong', baseUrl: sim.openaiBaseUrl }),
    close: () => sim.stop(),
  };
});

describeRealtimeProviderContract('AnthropicRealtimeProvider on the simulator', async () => {
  const sim = await startSimulator({ seed: 6, apiKeys: [API_KEY] });
  return {
    port: new AnthropicRealtimeProvider({
      apiKey: API_KEY,
      baseUrl: sim.anthropicBaseUrl,
      retry: FAST_RETRY,
    }),
    call: (lane) => ({
      endpoint: '/v1/messages',
      body: {
        model: 'claude-sonnet-4-6',
        max_tokens: 128,
        messages: [{ role: 'user', content: 'Grade this answer' }],
      },
      lane,
    }),
    badCall: () => ({
      endpoint: '/v1/messages',
      body: { model: 'claude-sonnet-4-6', max_tokens: 128 },
      lane: 'realtime',
    }),
    ...simulatorFaults(sim),
    wrongKey: new AnthropicRealtimeProvider({ apiKey: 'wrong', baseUrl: sim.anthropicBaseUrl }),
    close: () => sim.stop(),
  };
});
