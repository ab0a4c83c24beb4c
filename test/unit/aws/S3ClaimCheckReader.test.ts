import { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { S3ClaimCheckReader } from '../../../shared/adapters/aws/S3ClaimCheckReader.js';
import {
  AuthError,
  InvalidInputError,
  NotFoundError,
  ThrottledError,
  UnavailableError,
} from '../../../shared/domain/errors.js';

interface SentCommand {
  readonly input: { readonly Bucket?: string; readonly Key?: string };
}

/** An S3 client whose GetObject answers with `respond` and records what was asked. */
const fakeS3 = (respond: (command: SentCommand) => Promise<unknown>) => {
  const sent: SentCommand[] = [];
  const client = {
    send: (command: SentCommand) => {
      sent.push(command);
      return respond(command);
    },
  } as unknown as S3Client;
  return { client, sent };
};

const object = (text: string, options: { contentLength?: boolean } = {}) => {
  const bytes = Buffer.from(text);
  // Several chunks, so the streamed cap is exercised across chunk boundaries.
  const chunks = [bytes.subarray(0, 3), bytes.subarray(3)];
  return async () => ({
    Body: Readable.from(chunks),
    ...(options.contentLength === false ? {} : { ContentLength: bytes.length }),
  });
};

const awsError = (name: string, status: number) =>
  Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode: status } });

describe('Class: S3ClaimCheckReader', () => {
  it('reads the object named by the URI and parses it as JSON', async () => {
    const { client, sent } = fakeS3(object('{"model":"m","input":"x"}'));
    const reader = new S3ClaimCheckReader({ client, maxBytes: 1000 });

    const body = await reader.read('s3://bodies-bucket/deep/key name.json');

    expect(body).toEqual({ model: 'm', input: 'x' });
    expect(sent[0]?.input).toEqual({ Bucket: 'bodies-bucket', Key: 'deep/key name.json' });
  });

  it('refuses an object over the cap from its Content-Length, without reading it', async () => {
    const reader = new S3ClaimCheckReader({
      client: fakeS3(object('{"a":"0123456789"}')).client,
      maxBytes: 10,
    });
    const error = await reader.read('s3://bodies-bucket/big.json').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).code).toBe('claim_check_too_large');
  });

  it('stops reading once the cap is passed when no Content-Length was sent', async () => {
    const reader = new S3ClaimCheckReader({
      client: fakeS3(object('{"a":"0123456789"}', { contentLength: false })).client,
      maxBytes: 10,
    });
    await expect(reader.read('s3://bodies-bucket/big.json')).rejects.toMatchObject({
      code: 'claim_check_too_large',
    });
  });

  it('refuses an object that is not JSON', async () => {
    const reader = new S3ClaimCheckReader({
      client: fakeS3(object('hello, world')).client,
      maxBytes: 100,
    });
    const error = await reader.read('s3://bodies-bucket/text.txt').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).code).toBe('claim_check_not_json');
  });

  it('refuses a URI it cannot read without calling S3', async () => {
    const { client, sent } = fakeS3(object('{}'));
    const reader = new S3ClaimCheckReader({ client, maxBytes: 100 });
    await expect(reader.read('https://example.com/x')).rejects.toBeInstanceOf(InvalidInputError);
    expect(sent).toHaveLength(0);
  });

  it.each([
    ['NoSuchKey', 404, NotFoundError],
    ['NoSuchBucket', 404, NotFoundError],
    ['SlowDown', 503, ThrottledError],
    ['InternalError', 500, UnavailableError],
    ['AccessDenied', 403, AuthError],
  ] as const)('translates %s into a batchlane error', async (name, status, type) => {
    const reader = new S3ClaimCheckReader({
      client: fakeS3(async () => Promise.reject(awsError(name, status))).client,
      maxBytes: 100,
    });
    const error = await reader.read('s3://bodies-bucket/k').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(type);
    expect((error as { retryable: boolean }).retryable).toBe(
      type !== NotFoundError && type !== AuthError,
    );
  });

  it('treats a connection dropped mid-body as transient', async () => {
    const broken = new Readable({
      read() {
        this.destroy(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
      },
    });
    const reader = new S3ClaimCheckReader({
      client: fakeS3(async () => ({ Body: broken })).client,
      maxBytes: 100,
    });
    await expect(reader.read('s3://bodies-bucket/k')).rejects.toBeInstanceOf(UnavailableError);
  });
});
