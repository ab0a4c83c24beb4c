import { Readable, Transform } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { NotFoundError } from '../../domain/errors.js';
import type { BlobBody, BlobStore, PutBlobOptions } from '../../ports/BlobStore.js';
import { isAwsErrorNamed } from './isAwsErrorNamed.js';
import { translateAwsError } from './translateAwsError.js';

const MIB = 1024 * 1024;
/** S3's smallest multipart part. */
const MIN_PART_BYTES = 5 * MIB;
/** fauxqs refuses request bodies over 11 MiB, so parts stay at or under 10 MiB. */
const MAX_PART_BYTES = 10 * MIB;

/** Constructor options of {@link S3BlobStore}. */
interface S3BlobStoreOptions {
  readonly client: S3Client;
  readonly bucket: string;
  /** Prepended to every key (e.g. `env/`); default none. */
  readonly keyPrefix?: string;
  /** Multipart part size for streams, clamped to 5–10 MiB (default 8 MiB). */
  readonly partSizeBytes?: number;
  /** Parts uploaded in parallel per stream (default 4); memory ≈ queueSize × partSize. */
  readonly queueSize?: number;
}

/** Counts the bytes that pass through, so streamed puts can report their size. */
const byteCounter = (): Transform & { readonly bytes: () => number } => {
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      callback(null, chunk);
    },
  });
  return Object.assign(counter, { bytes: () => bytes });
};

/**
 * {@link BlobStore} on one S3 bucket. Strings and byte arrays go up in a single PutObject;
 * streams go through lib-storage's multipart `Upload`, so memory stays bounded by
 * `queueSize × partSizeBytes` whatever the object's size.
 */
class S3BlobStore implements BlobStore {
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;
  readonly #partSize: number;
  readonly #queueSize: number;

  constructor(options: S3BlobStoreOptions) {
    this.#client = options.client;
    this.#bucket = options.bucket;
    this.#prefix = options.keyPrefix ?? '';
    this.#partSize = Math.min(
      MAX_PART_BYTES,
      Math.max(MIN_PART_BYTES, options.partSizeBytes ?? 8 * MIB),
    );
    this.#queueSize = Math.max(1, options.queueSize ?? 4);
  }

  async put(key: string, body: BlobBody, options: PutBlobOptions = {}): Promise<{ bytes: number }> {
    const fullKey = this.#key(key);
    const contentType = options.contentType ?? 'application/octet-stream';
    try {
      if (typeof body === 'string' || body instanceof Uint8Array) {
        const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
        if (bytes.length <= this.#partSize) {
          await this.#client.send(
            new PutObjectCommand({
              Bucket: this.#bucket,
              Key: fullKey,
              Body: bytes,
              ContentType: contentType,
            }),
          );
          return { bytes: bytes.length };
        }
        // Too big for one request to fauxqs; Upload splits a buffer into parts.
        await this.#upload(fullKey, bytes, contentType);
        return { bytes: bytes.length };
      }
      const source = body instanceof Readable ? body : Readable.from(body);
      const counter = byteCounter();
      source.on('error', (error) => counter.destroy(error));
      await this.#upload(fullKey, source.pipe(counter), contentType);
      return { bytes: counter.bytes() };
    } catch (error) {
      throw translateAwsError(error, { operation: 'S3.PutObject', resource: this.uri(key) });
    }
  }

  async getStream(key: string, options: { start?: number } = {}): Promise<Readable> {
    const start = options.start ?? 0;
    try {
      const response = await this.#client.send(
        new GetObjectCommand({
          Bucket: this.#bucket,
          Key: this.#key(key),
          ...(start > 0 ? { Range: `bytes=${start}-` } : {}),
        }),
      );
      if (!(response.Body instanceof Readable)) {
        throw new TypeError('S3 GetObject returned a body that is not a Node stream');
      }
      return response.Body;
    } catch (error) {
      // Reading from the very end (a reader resuming after the last line) is not an error.
      if (start > 0 && isAwsErrorNamed(error, 'InvalidRange')) return Readable.from([]);
      if (isAwsErrorNamed(error, 'NoSuchKey', 'NotFound')) {
        throw new NotFoundError(`blob ${this.uri(key)} does not exist`, {
          code: 'not_found',
          cause: error,
          details: { key },
        });
      }
      throw translateAwsError(error, { operation: 'S3.GetObject', resource: this.uri(key) });
    }
  }

  async *list(prefix: string): AsyncIterable<string> {
    let token: string | undefined;
    do {
      let page: ListObjectsV2CommandOutput;
      try {
        page = await this.#client.send(
          new ListObjectsV2Command({
            Bucket: this.#bucket,
            Prefix: this.#key(prefix),
            ContinuationToken: token,
          }),
        );
      } catch (error) {
        throw translateAwsError(error, {
          operation: 'S3.ListObjectsV2',
          resource: this.uri(prefix),
        });
      }
      for (const object of page.Contents ?? []) {
        if (object.Key !== undefined) yield object.Key.slice(this.#prefix.length);
      }
      token = page.NextContinuationToken;
    } while (token !== undefined);
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: this.#key(key) }));
      return true;
    } catch (error) {
      if (isAwsErrorNamed(error, 'NotFound', 'NoSuchKey')) return false;
      throw translateAwsError(error, { operation: 'S3.HeadObject', resource: this.uri(key) });
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.#client.send(
        new DeleteObjectCommand({ Bucket: this.#bucket, Key: this.#key(key) }),
      );
    } catch (error) {
      throw translateAwsError(error, { operation: 'S3.DeleteObject', resource: this.uri(key) });
    }
  }

  uri(key: string): string {
    return `s3://${this.#bucket}/${this.#key(key)}`;
  }

  async #upload(key: string, body: Readable | Uint8Array, contentType: string): Promise<void> {
    const upload = new Upload({
      client: this.#client,
      params: { Bucket: this.#bucket, Key: key, Body: body, ContentType: contentType },
      partSize: this.#partSize,
      queueSize: this.#queueSize,
      // A failed multipart upload must not leave billable orphaned parts behind.
      leavePartsOnError: false,
    });
    await upload.done();
  }

  #key(key: string): string {
    return `${this.#prefix}${key}`;
  }
}

export { S3BlobStore, type S3BlobStoreOptions };
