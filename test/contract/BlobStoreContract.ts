import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer, text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError } from '../../shared/domain/errors.js';
import type { BlobStore } from '../../shared/ports/BlobStore.js';
import type { Subject } from './subject.js';

const collect = async (keys: AsyncIterable<string>): Promise<string[]> => {
  const all: string[] = [];
  for await (const key of keys) all.push(key);
  return all;
};

/** Chunks, then an error: a body whose source dies half-way. */
async function* failingBody(): AsyncIterable<Uint8Array> {
  yield Buffer.from('first line\n');
  throw new Error('source went away');
}

/**
 * What every {@link BlobStore} does: bytes come back as they went in whatever the body's
 * type, a put replaces, reads start at an offset, missing objects are `NotFoundError`,
 * listing is by prefix in key order, and a body that fails writes nothing.
 */
const describeBlobStoreContract = (
  name: string,
  makeSubject: () => Promise<Subject<BlobStore>>,
) => {
  describe(`BlobStore contract: ${name}`, () => {
    let subject: Subject<BlobStore>;
    let store: BlobStore;
    /** Keys of one test, apart from every other test's (real stores outlive a test). */
    const fresh = (): string => `contract-${randomUUID().slice(0, 8)}/`;

    beforeAll(async () => {
      subject = await makeSubject();
      store = subject.port;
    });
    afterAll(() => subject.close?.());

    it('writes a string and reads it back, reporting its size in UTF-8 bytes', async () => {
      const key = `${fresh()}text.jsonl`;
      const body = 'línea “uno”\n{"a":1}\n';
      expect(await store.put(key, body, { contentType: 'application/x-ndjson' })).toEqual({
        bytes: Buffer.byteLength(body, 'utf8'),
      });
      expect(await text(await store.getStream(key))).toBe(body);
    });

    it('writes bytes, readable streams and async iterables unchanged', async () => {
      const prefix = fresh();
      const bytes = Buffer.from([0, 1, 2, 250, 255, 10]);
      expect(await store.put(`${prefix}bytes`, new Uint8Array(bytes))).toEqual({ bytes: 6 });
      expect(await buffer(await store.getStream(`${prefix}bytes`))).toEqual(bytes);

      const lines = Array.from({ length: 50 }, (_, i) => `{"n":${i}}\n`);
      expect(await store.put(`${prefix}stream`, Readable.from(lines))).toEqual({
        bytes: lines.join('').length,
      });
      expect(await text(await store.getStream(`${prefix}stream`))).toBe(lines.join(''));

      async function* chunks(): AsyncIterable<Uint8Array> {
        yield Buffer.from('ab');
        yield Buffer.from('');
        yield Buffer.from('cdé');
      }
      expect(await store.put(`${prefix}iterable`, chunks())).toEqual({ bytes: 6 });
      expect(await text(await store.getStream(`${prefix}iterable`))).toBe('abcdé');
    });

    it('replaces an object written again under the same key', async () => {
      const key = `${fresh()}again`;
      await store.put(key, 'a much longer first version');
      await store.put(key, 'short');
      expect(await text(await store.getStream(key))).toBe('short');
    });

    it('reads from a byte offset, and from the very end reads nothing', async () => {
      const key = `${fresh()}offset`;
      await store.put(key, '0123456789');
      expect(await text(await store.getStream(key, { start: 4 }))).toBe('456789');
      expect(await text(await store.getStream(key, { start: 0 }))).toBe('0123456789');
      expect(await text(await store.getStream(key, { start: 10 }))).toBe('');
    });

    it('refuses to read a missing object with a NotFoundError that is not retryable', async () => {
      const key = `${fresh()}missing`;
      const read = store.getStream(key);
      await expect(read).rejects.toBeInstanceOf(NotFoundError);
      await expect(read).rejects.toMatchObject({ retryable: false });
    });

    it('tells whether an object exists, and deletes it (deleting twice is no error)', async () => {
      const key = `${fresh()}exists`;
      expect(await store.exists(key)).toBe(false);
      await store.put(key, 'x');
      expect(await store.exists(key)).toBe(true);
      await store.delete(key);
      expect(await store.exists(key)).toBe(false);
      await expect(store.delete(key)).resolves.toBeUndefined();
      await expect(store.getStream(key)).rejects.toBeInstanceOf(NotFoundError);
    });

    it('lists the keys under a prefix only, in key order', async () => {
      const prefix = fresh();
      for (const key of ['b/2', 'a', 'b/10', 'b/1', 'c']) await store.put(`${prefix}${key}`, key);
      await store.put(`${prefix.slice(0, -1)}-sibling/a`, 'outside the prefix');
      expect(await collect(store.list(prefix))).toEqual(
        ['a', 'b/1', 'b/10', 'b/2', 'c'].map((key) => `${prefix}${key}`),
      );
      expect(await collect(store.list(`${prefix}b/`))).toEqual(
        ['b/1', 'b/10', 'b/2'].map((key) => `${prefix}${key}`),
      );
      expect(await collect(store.list(`${prefix}nothing/`))).toEqual([]);
    });

    it('lists every key of a prefix holding more than a page (S3 pages by 1000)', async () => {
      const prefix = fresh();
      const keys = Array.from(
        { length: 1005 },
        (_, i) => `${prefix}k${String(i).padStart(4, '0')}`,
      );
      for (let i = 0; i < keys.length; i += 50) {
        await Promise.all(keys.slice(i, i + 50).map((key) => store.put(key, '')));
      }
      expect(await collect(store.list(prefix))).toEqual(keys);
    });

    it('writes nothing when the body fails part-way, and rejects', async () => {
      const key = `${fresh()}broken`;
      await expect(store.put(key, failingBody())).rejects.toThrow();
      expect(await store.exists(key)).toBe(false);
    });

    it('names each object by a URI that ends with its key', () => {
      const prefix = fresh();
      expect(store.uri(`${prefix}a.jsonl`).endsWith(`/${prefix}a.jsonl`)).toBe(true);
      expect(store.uri(`${prefix}a`)).not.toBe(store.uri(`${prefix}b`));
    });
  });
};

export { describeBlobStoreContract };
