import { describeRealtimeProviderContract } from '../../contract/RealtimeProviderContract.js';
import { InMemoryRealtimeProvider } from '../../support/fakes/InMemoryRealtimeProvider.js';

for (const name of ['openai', 'anthropic'] as const) {
  describeRealtimeProviderContract(`InMemoryRealtimeProvider (${name})`, async () => {
    const provider = new InMemoryRealtimeProvider({ name });
    const wrongKey = new InMemoryRealtimeProvider({ name });
    wrongKey.authorize(false);
    return {
      port: provider,
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
      failTries: (persist) => provider.failNextTries(persist ? 100 : 1),
      clearFailures: () => provider.failNextTries(0),
      requestsReceived: () => provider.tries,
      wrongKey,
    };
  });
}
