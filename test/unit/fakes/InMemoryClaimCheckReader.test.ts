import { describe, expect, it } from 'vitest';
import { NotFoundError, UnavailableError } from '../../../shared/domain/errors.js';
import { describeClaimCheckReaderContract } from '../../contract/ClaimCheckReaderContract.js';
import { InMemoryBlobStore } from '../../support/fakes/InMemoryBlobStore.js';
import { InMemoryClaimCheckReader } from '../../support/fakes/InMemoryClaimCheckReader.js';

describeClaimCheckReaderContract('InMemoryClaimCheckReader', async () => {
  const bucket = new InMemoryBlobStore();
  const unreachable = new InMemoryClaimCheckReader(new InMemoryBlobStore());
  unreachable.failReadsWith(new UnavailableError('connection refused', { code: 'unavailable' }));
  return {
    port: new InMemoryClaimCheckReader(bucket),
    store: async (key, body) => {
      await bucket.put(key, body);
    },
    unreachable,
  };
});

describe('InMemoryClaimCheckReader beyond the contract', () => {
  it('answers a key outside its grant as missing, as S3 answers AccessDenied', async () => {
    const bucket = new InMemoryBlobStore();
    await bucket.put('claim-checks/a.json', '{}');
    const reader = new InMemoryClaimCheckReader(bucket);
    reader.deny('claim-checks/a.json');
    await expect(reader.read('claim-checks/a.json', { maxBytes: 10 })).rejects.toMatchObject({
      constructor: NotFoundError,
      code: 'claim_check_missing',
    });
  });
});
