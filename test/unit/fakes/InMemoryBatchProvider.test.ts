import { formatProviderLine } from '../../../shared/domain/formatProviderLine.js';
import { describeBatchProviderContract } from '../../contract/BatchProviderContract.js';
import { FakeClock } from '../../support/fakes/FakeClock.js';
import { InMemoryBatchProvider } from '../../support/fakes/InMemoryBatchProvider.js';

const line = (customId: string): string =>
  formatProviderLine('anthropic', '/v1/messages', customId, {
    model: 'claude-sonnet-4-6',
    max_tokens: 64,
    messages: [{ role: 'user', content: `question for ${customId}` }],
  });

describeBatchProviderContract('InMemoryBatchProvider', async () => {
  // The fake's clock starts now: the contract's hints are in real time.
  const clock = new FakeClock(new Date());
  const provider = new InMemoryBatchProvider(clock, { processingMs: 60_000 });
  const wrongKey = new InMemoryBatchProvider(clock);
  wrongKey.authorize(false);
  return {
    port: provider,
    endpoint: '/v1/messages',
    unknownId: 'msgbatch_fake999999',
    line,
    refused: (customId) => {
      provider.failRequest(customId, 'invalid_request_error');
      return { line: line(customId), customId, errorType: 'invalid_request_error' };
    },
    waitForEnded: async (id) => {
      clock.advance(60_000);
      return provider.retrieve(id);
    },
    slowDown: () => undefined,
    expireResults: () => provider.expireResults(),
    wrongKey,
  };
});
