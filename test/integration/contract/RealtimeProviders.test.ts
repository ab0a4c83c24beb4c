import { startSimulator } from '../../../local/simulator/startSimulator.js';
import { AnthropicRealtimeProvider } from '../../../shared/adapters/providers/AnthropicRealtimeProvider.js';
import { DeepSeekRealtimeProvider } from '../../../shared/adapters/providers/DeepSeekRealtimeProvider.js';
import { GeminiRealtimeProvider } from '../../../shared/adapters/providers/GeminiRealtimeProvider.js';
import { MistralRealtimeProvider } from '../../../shared/adapters/providers/MistralRealtimeProvider.js';
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
    badCallErrorType: 'invalid_request_error',
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
    badCallErrorType: 'invalid_request_error',
    ...simulatorFaults(sim),
    wrongKey: new AnthropicRealtimeProvider({ apiKey: 'wrong', baseUrl: sim.anthropicBaseUrl }),
    close: () => sim.stop(),
  };
});

describeRealtimeProviderContract('GeminiRealtimeProvider on the simulator', async () => {
  const sim = await startSimulator({ seed: 7, apiKeys: [API_KEY] });
  const call = (lane: 'flex' | 'realtime', body: Record<string, unknown> = {}) => ({
    endpoint: 'generateContent',
    body: {
      model: 'gemini-2.5-flash',
      contents: [{ role: 'user', parts: [{ text: 'Summarise: the sky is blue.' }] }],
      generationConfig: { maxOutputTokens: 32 },
      ...body,
    },
    lane,
  });
  return {
    port: new GeminiRealtimeProvider({
      apiKey: API_KEY,
      baseUrl: sim.geminiBaseUrl,
      retry: FAST_RETRY,
    }),
    call: (lane) => call(lane),
    badCall: () => call('realtime', { generationConfig: { temperature: 9 } }),
    // Gemini names a refusal by its own status word.
    badCallErrorType: 'INVALID_ARGUMENT',
    ...simulatorFaults(sim),
    wrongKey: new GeminiRealtimeProvider({ apiKey: 'wrong-key', baseUrl: sim.geminiBaseUrl }),
    close: () => sim.stop(),
  };
});

describeRealtimeProviderContract('MistralRealtimeProvider on the simulator', async () => {
  const sim = await startSimulator({ seed: 8, apiKeys: [API_KEY] });
  return {
    port: new MistralRealtimeProvider({
      apiKey: API_KEY,
      baseUrl: sim.mistralBaseUrl,
      retry: FAST_RETRY,
    }),
    call: (lane) => ({
      endpoint: '/v1/chat/completions',
      body: {
        model: 'mistral-small-latest',
        max_tokens: 128,
        messages: [{ role: 'user', content: 'Classify: spam?' }],
      },
      lane,
    }),
    badCall: () => ({
      endpoint: '/v1/chat/completions',
      body: { model: 'mistral-small-latest' },
      lane: 'realtime',
    }),
    // Mistral answers a body that fails its validation with 422, read as an invalid request.
    badCallErrorType: 'invalid_request_error',
    ...simulatorFaults(sim),
    wrongKey: new MistralRealtimeProvider({ apiKey: 'wrong', baseUrl: sim.mistralBaseUrl }),
    close: () => sim.stop(),
  };
});

describeRealtimeProviderContract('DeepSeekRealtimeProvider on the simulator', async () => {
  const sim = await startSimulator({ seed: 9, apiKeys: [API_KEY] });
  return {
    port: new DeepSeekRealtimeProvider({
      apiKey: API_KEY,
      baseUrl: sim.deepseekBaseUrl,
      retry: FAST_RETRY,
    }),
    call: (lane) => ({
      endpoint: '/v1/chat/completions',
      body: { model: 'deepseek-flash', messages: [{ role: 'user', content: 'Classify: spam?' }] },
      lane,
    }),
    // DeepSeek answers a body without messages with 422.
    badCall: () => ({
      endpoint: '/v1/chat/completions',
      body: { model: 'deepseek-flash' },
      lane: 'realtime',
    }),
    badCallErrorType: 'invalid_request_error',
    ...simulatorFaults(sim),
    wrongKey: new DeepSeekRealtimeProvider({ apiKey: 'wrong', baseUrl: sim.deepseekBaseUrl }),
    close: () => sim.stop(),
  };
});
