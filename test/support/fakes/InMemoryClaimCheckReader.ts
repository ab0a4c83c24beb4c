import { buffer } from 'node:stream/consumers';
import {
  type BatchlaneError,
  InvalidInputError,
  NotFoundError,
} from '../../../shared/domain/errors.js';
import type { ClaimCheckReader } from '../../../shared/ports/ClaimCheckReader.js';
import type { InMemoryBlobStore } from './InMemoryBlobStore.js';

/**
 * {@link ClaimCheckReader} over an {@link InMemoryBlobStore} (the fake of batchlane's bucket):
 * the same codes as the S3 reader (`claim_check_missing`, `claim_check_too_large`,
 * `claim_check_not_json`), the size counted in bytes, and keys made unreadable (S3's
 * AccessDenied) answered as missing. `failReadsWith` makes every read fail as a store outage
 * would, for the tests of what happens to the message then.
 */
class InMemoryClaimCheckReader implements ClaimCheckReader {
  readonly #store: InMemoryBlobStore;
  readonly #denied = new Set<string>();
  #failure: BatchlaneError | null = null;

  constructor(store: InMemoryBlobStore) {
    this.#store = store;
  }

  async read(key: string, options: { readonly maxBytes: number }): Promise<unknown> {
    if (this.#failure !== null) throw this.#failure;
    if (this.#denied.has(key) || !(await this.#store.exists(key))) {
      throw new NotFoundError('no claim-check object can be read at this key', {
        code: 'claim_check_missing',
        details: { key },
      });
    }
    const bytes = await buffer(await this.#store.getStream(key));
    if (bytes.length > options.maxBytes) {
      throw new InvalidInputError(
        `the claim-check object is larger than the ${options.maxBytes} bytes accepted`,
        { code: 'claim_check_too_large', details: { key, maxBytes: options.maxBytes } },
      );
    }
    try {
      return JSON.parse(bytes.toString('utf8')) as unknown;
    } catch (error) {
      throw new InvalidInputError('the claim-check object does not hold JSON', {
        code: 'claim_check_not_json',
        cause: error,
        details: { key },
      });
    }
  }

  /** Makes `key` unreadable to the reader, as an object outside its grant is in S3. */
  deny(key: string): void {
    this.#denied.add(key);
  }

  /** Every read rejects with `error` until called again with null. */
  failReadsWith(error: BatchlaneError | null): void {
    this.#failure = error;
  }
}

export { InMemoryClaimCheckReader };
