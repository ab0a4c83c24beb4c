import { describe, expect, it } from 'vitest';
import { GeminiBatchProvider } from '../../../shared/adapters/providers/GeminiBatchProvider.js';
import { NotFoundError } from '../../../shared/domain/errors.js';

describe('GeminiBatchProvider batch names', () => {
  // Nothing listens on port 9: a call that reached the network would fail as unavailable.
  const provider = new GeminiBatchProvider({ apiKey: 'k', baseUrl: 'http://127.0.0.1:9' });

  it('refuses a name not under batches/ as not found, not as a retryable outage', async () => {
    for (const call of [() => provider.retrieve('batch_x'), () => provider.cancel('123')]) {
      const error = await call().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NotFoundError);
      expect(error).toMatchObject({ code: 'not_found', retryable: false });
    }
  });
});
