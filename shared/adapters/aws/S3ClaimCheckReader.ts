import { Readable } from 'node:stream';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ByteBudget } from '../../domain/byteBudget.js';
import { InvalidInputError, NotFoundError } from '../../domain/errors.js';
import type { ClaimCheckReader } from '../../ports/ClaimCheckReader.js';
import { isAwsErrorNamed } from './isAwsErrorNamed.js';
import { translateAwsError } from './translateAwsError.js';

/** Constructor options of {@link S3ClaimCheckReader}. */
interface S3ClaimCheckReaderOptions {
  readonly client: S3Client;
  /** batchlane's bucket: the only one claim checks are read from. */
  readonly bucket: string;
  /**
   * Most object bytes held by all reads at once; a read waits for room before it takes the
   * body, and one larger than this runs alone.
   * @default 64 MiB
   */
  readonly inFlightBytes?: number;
}

const DEFAULT_IN_FLIGHT_BYTES = 64 * 1024 * 1024;

const tooLarge = (key: string, maxBytes: number): InvalidInputError =>
  new InvalidInputError(`the claim-check object is larger than the ${maxBytes} bytes accepted`, {
    code: 'claim_check_too_large',
    details: { key, maxBytes },
  });

/**
 * "Not there" and "not readable" are one answer: without `s3:ListBucket` S3 answers a
 * missing key with AccessDenied, and the collector may read its claim-check prefix only.
 */
const notThere = (key: string, cause: unknown): NotFoundError =>
  new NotFoundError('no claim-check object can be read at this key', {
    code: 'claim_check_missing',
    cause,
    details: { key },
  });

/**
 * {@link ClaimCheckReader} on batchlane's bucket: one GetObject per claim check, refused as
 * soon as its Content-Length is over the cap, then streamed into one buffer of exactly that
 * size (no chunk list, no concatenated copy) under a shared {@link ByteBudget}, decoded once
 * and parsed. Bytes beyond the cap stop the read even when no length was sent. S3 errors are
 * translated with `translateAwsError`, so throttling or a dropped connection is retryable.
 */
class S3ClaimCheckReader implements ClaimCheckReader {
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #budget: ByteBudget;

  constructor(options: S3ClaimCheckReaderOptions) {
    this.#client = options.client;
    this.#bucket = options.bucket;
    this.#budget = new ByteBudget(options.inFlightBytes ?? DEFAULT_IN_FLIGHT_BYTES);
  }

  async read(key: string, options: { readonly maxBytes: number }): Promise<unknown> {
    const { maxBytes } = options;
    const body = await this.#open(key, maxBytes);
    const release = await this.#budget.acquire(body.length ?? maxBytes);
    try {
      const text = await this.#readText(key, body.stream, body.length, maxBytes);
      try {
        return JSON.parse(text) as unknown;
      } catch (error) {
        throw new InvalidInputError('the claim-check object does not hold JSON', {
          code: 'claim_check_not_json',
          cause: error,
          details: { key },
        });
      }
    } finally {
      release();
    }
  }

  async #open(
    key: string,
    maxBytes: number,
  ): Promise<{ readonly stream: Readable; readonly length: number | undefined }> {
    try {
      const response = await this.#client.send(
        new GetObjectCommand({ Bucket: this.#bucket, Key: key }),
      );
      if (!(response.Body instanceof Readable)) {
        throw new TypeError('S3 GetObject returned a body that is not a Node stream');
      }
      if (response.ContentLength !== undefined && response.ContentLength > maxBytes) {
        response.Body.destroy();
        throw tooLarge(key, maxBytes);
      }
      return { stream: response.Body, length: response.ContentLength };
    } catch (error) {
      if (isAwsErrorNamed(error, 'AccessDenied', 'NoSuchKey', 'NoSuchBucket', 'NotFound')) {
        throw notThere(key, error);
      }
      throw translateAwsError(error, { operation: 'S3.GetObject', resource: key });
    }
  }

  async #readText(
    key: string,
    stream: Readable,
    length: number | undefined,
    maxBytes: number,
  ): Promise<string> {
    // With a length, one buffer of that size; without, grown by doubling up to the cap.
    let buffer = Buffer.allocUnsafe(Math.min(length ?? 64 * 1024, maxBytes));
    let bytes = 0;
    try {
      for await (const chunk of stream) {
        const data = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
        if (bytes + data.length > maxBytes) throw tooLarge(key, maxBytes);
        if (bytes + data.length > buffer.length) {
          const grown = Buffer.allocUnsafe(
            Math.min(maxBytes, Math.max(bytes + data.length, buffer.length * 2)),
          );
          buffer.copy(grown, 0, 0, bytes);
          buffer = grown;
        }
        data.copy(buffer, bytes);
        bytes += data.length;
      }
    } catch (error) {
      throw translateAwsError(error, { operation: 'S3.GetObject', resource: key });
    } finally {
      // Leaving the loop early (over the cap) must not leave the socket open.
      stream.destroy();
    }
    return buffer.toString('utf8', 0, bytes);
  }
}

export { S3ClaimCheckReader, type S3ClaimCheckReaderOptions };
