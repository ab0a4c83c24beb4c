import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError, NotFoundError } from '../../shared/domain/errors.js';
import type { ClaimCheckReader } from '../../shared/ports/ClaimCheckReader.js';
import type { Subject } from './subject.js';

interface ClaimCheckSubject extends Subject<ClaimCheckReader> {
  /** Stores an object where the reader reads claim checks. */
  store(key: string, body: string): Promise<void>;
  /** A reader of the same kind whose store cannot be reached. */
  readonly unreachable: ClaimCheckReader;
}

/**
 * What every {@link ClaimCheckReader} does: the JSON document is returned parsed; a missing
 * object is `NotFoundError`, one that is not JSON or is over `maxBytes` (counted in bytes) an
 * `InvalidInputError`, each refusing the message; a store that cannot be reached is a
 * retryable error, so the message goes back to its queue.
 */
const describeClaimCheckReaderContract = (
  name: string,
  makeSubject: () => Promise<ClaimCheckSubject>,
) => {
  describe(`ClaimCheckReader contract: ${name}`, () => {
    let subject: ClaimCheckSubject;
    const key = (): string => `claim-checks/contract-${randomUUID().slice(0, 8)}.json`;

    beforeAll(async () => {
      subject = await makeSubject();
    });
    afterAll(() => subject.close?.());

    it('returns the stored JSON document parsed', async () => {
      const at = key();
      const document = { custom_id: 'c-1', params: { messages: [{ content: 'héllo “x”' }] } };
      await subject.store(at, JSON.stringify(document));
      expect(await subject.port.read(at, { maxBytes: 10_000 })).toEqual(document);
    });

    it('reads a document of exactly maxBytes bytes', async () => {
      const at = key();
      const body = JSON.stringify({ text: 'x'.repeat(100) });
      await subject.store(at, body);
      expect(await subject.port.read(at, { maxBytes: Buffer.byteLength(body) })).toEqual({
        text: 'x'.repeat(100),
      });
    });

    it('refuses a document over maxBytes, counted in bytes, with claim_check_too_large', async () => {
      const at = key();
      // 40 characters, 80 bytes in UTF-8.
      const body = JSON.stringify({ t: 'é'.repeat(37) });
      await subject.store(at, body);
      const read = subject.port.read(at, { maxBytes: body.length + 1 });
      await expect(read).rejects.toBeInstanceOf(InvalidInputError);
      await expect(read).rejects.toMatchObject({ code: 'claim_check_too_large', retryable: false });
    });

    it('refuses a missing object with a NotFoundError (claim_check_missing)', async () => {
      const read = subject.port.read(key(), { maxBytes: 1000 });
      await expect(read).rejects.toBeInstanceOf(NotFoundError);
      await expect(read).rejects.toMatchObject({ code: 'claim_check_missing', retryable: false });
    });

    it('refuses an object that is not JSON (claim_check_not_json)', async () => {
      const at = key();
      await subject.store(at, '{"custom_id": "c-1", ');
      const read = subject.port.read(at, { maxBytes: 1000 });
      await expect(read).rejects.toBeInstanceOf(InvalidInputError);
      await expect(read).rejects.toMatchObject({ code: 'claim_check_not_json', retryable: false });
    });

    it('fails with a retryable error when the store cannot be reached', async () => {
      const read = subject.unreachable.read(key(), { maxBytes: 1000 });
      await expect(read).rejects.toMatchObject({ retryable: true });
    });
  });
};

export { type ClaimCheckSubject, describeClaimCheckReaderContract };
