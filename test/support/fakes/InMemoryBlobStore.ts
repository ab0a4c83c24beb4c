import { Readable } from 'node:stream';
import { NotFoundError } from '../../../shared/domain/errors.js';
import type { BlobBody, BlobStore, PutBlobOptions } from '../../../shared/ports/BlobStore.js';
import { readAll } from './readAll.js';

interface StoredBlob {
  readonly bytes: Buffer;
  readonly contentType: string;
}

/**
 * {@link BlobStore} in memory, as S3 behaves for batchlane: a put replaces the whole object
 * and only once its body has been read to the end (a body that fails leaves nothing), keys
 * list in byte order, deleting a missing key is no error, and reading from the very end (or
 * past it) yields nothing rather than failing.
 */
class InMemoryBlobStore implements BlobStore {
  readonly #objects = new Map<string, StoredBlob>();
  readonly #name: string;

  constructor(name = 'blobs') {
    this.#name = name;
  }

  async put(key: string, body: BlobBody, options: PutBlobOptions = {}): Promise<{ bytes: number }> {
    const bytes = await readAll(body);
    this.#objects.set(key, {
      bytes,
      contentType: options.contentType ?? 'application/octet-stream',
    });
    return { bytes: bytes.length };
  }

  async getStream(key: string, options: { start?: number } = {}): Promise<Readable> {
    const object = this.#objects.get(key);
    if (object === undefined) {
      throw new NotFoundError(`blob ${this.uri(key)} does not exist`, {
        code: 'not_found',
        details: { key },
      });
    }
    const start = Math.max(0, options.start ?? 0);
    return Readable.from(start >= object.bytes.length ? [] : [object.bytes.subarray(start)]);
  }

  async exists(key: string): Promise<boolean> {
    return this.#objects.has(key);
  }

  async *list(prefix: string): AsyncIterable<string> {
    const keys = [...this.#objects.keys()]
      .filter((key) => key.startsWith(prefix))
      // S3 lists in UTF-8 byte order, not in JavaScript's UTF-16 order.
      .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    for (const key of keys) yield key;
  }

  async delete(key: string): Promise<void> {
    this.#objects.delete(key);
  }

  uri(key: string): string {
    return `memory://${this.#name}/${key}`;
  }

  /** The content type an object was stored with (what S3 would serve), for assertions. */
  contentTypeOf(key: string): string | undefined {
    return this.#objects.get(key)?.contentType;
  }
}

export { InMemoryBlobStore };
