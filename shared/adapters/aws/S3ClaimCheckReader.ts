import { Readable } from 'node:stream';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { InvalidInputError } from '../../domain/errors.js';
import type { ClaimCheckReader } from '../../ports/ClaimCheckReader.js';
import { translateAwsError } from './translateAwsError.js';

/** Constructor options of {@link S3ClaimCheckReader}. */
interface S3ClaimCheckReaderOptions {
  readonly client: S3Client;
  /**
   * Largest object read, in bytes: a body over the provider's per-batch maximum could never
   * be submitted, so reading further only spends memory.
   */
  readonly maxBytes: number;
}

const S3_URI = /^s3:\/\/([^/]+)\/(.+)$/;

const tooLarge = (uri: string, bytes: number, maxBytes: number): InvalidInputError =>
  new InvalidInputError(
    `claim check ${uri} is ${bytes} bytes or more; at most ${maxBytes} bytes are accepted`,
    { code: 'claim_check_too_large', details: { uri, bytes, maxBytes } },
  );

/**
 * {@link ClaimCheckReader} on S3: one GetObject per claim check, streamed and stopped as
 * soon as the object is known to be over the cap (by its Content-Length, or while reading
 * when the length was not sent), then parsed as JSON. S3 errors are translated with
 * `translateAwsError`, so a missing key or bucket is a `NotFoundError` and throttling or a
 * dropped connection is retryable.
 */
class S3ClaimCheckReader implements ClaimCheckReader {
  readonly #client: S3Client;
  readonly #maxBytes: number;

  constructor(options: S3ClaimCheckReaderOptions) {
    this.#client = options.client;
    this.#maxBytes = options.maxBytes;
  }

  async read(uri: string): Promise<unknown> {
    const match = S3_URI.exec(uri);
    const bucket = match?.[1];
    const key = match?.[2];
    if (bucket === undefined || key === undefined) {
      throw new InvalidInputError(`claim check ${uri} is not an s3://bucket/key URI`, {
        code: 'claim_check_uri',
        details: { uri },
      });
    }
    const text = await this.#readText(uri, bucket, key);
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new InvalidInputError(`claim check ${uri} does not hold JSON`, {
        code: 'claim_check_not_json',
        cause: error,
        details: { uri },
      });
    }
  }

  async #readText(uri: string, bucket: string, key: string): Promise<string> {
    const context = { operation: 'S3.GetObject', resource: uri };
    let body: Readable;
    try {
      const response = await this.#client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (!(response.Body instanceof Readable)) {
        throw new TypeError('S3 GetObject returned a body that is not a Node stream');
      }
      body = response.Body;
      if (response.ContentLength !== undefined && response.ContentLength > this.#maxBytes) {
        body.destroy();
        throw tooLarge(uri, response.ContentLength, this.#maxBytes);
      }
    } catch (error) {
      throw translateAwsError(error, context);
    }
    const chunks: Buffer[] = [];
    let bytes = 0;
    try {
      for await (const chunk of body) {
        const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
        bytes += buffer.length;
        if (bytes > this.#maxBytes) throw tooLarge(uri, bytes, this.#maxBytes);
        chunks.push(buffer);
      }
    } catch (error) {
      throw translateAwsError(error, context);
    } finally {
      // Leaving the loop early (over the cap) must not leave the socket open.
      body.destroy();
    }
    return Buffer.concat(chunks).toString('utf8');
  }
}

export { S3ClaimCheckReader, type S3ClaimCheckReaderOptions };
