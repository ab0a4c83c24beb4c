import { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { S3ClaimCheckReader } from '../../../shared/adapters/aws/S3ClaimCheckReader.js';
import {
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

const BUCKET = 'batchlane-artifacts';

describe('Class: S3ClaimCheckReader', () => {
  it("reads the key from batchlane's own bucket and parses it as JSON", async () => {
    const { client, sent } = fakeS3(object('{"model":"m","input":"x"}'));
    const reader = new S3ClaimCheckReader({ client, bucket: BUCKET });

    const body = await reader.read('claims/deep/key name.json', { maxBytes: 1000 });

    expect(body).toEqual({ model: 'm', input: 'x' });
    expect(sent[0]?.input).toEqual({ Bucket: BUCKET, Key: 'claims/deep/key name.json' });
  });

  it('decodes multi-byte characters split across chunks', async () => {
    const text = JSON.stringify({ input: 'été ✓ 日本' });
    const bytes = Buffer.from(text);
    const chunks = [bytes.subarray(0, 12), bytes.subarray(12, 13), bytes.subarray(13)];
    const reader = new S3ClaimCheckReader({
      client: fakeS3(async () => ({ Body: Readable.from(chunks) })).client,
      bucket: BUCKET,
    });
    expect(await reader.read('claims/u.json', { maxBytes: 1000 })).toEqual({
      input: 'été ✓ 日本',
    });
  });

  it('refuses an object over the cap from its Content-Length, without telling its size', async () => {
    const reader = new S3ClaimCheckReader({
      client: fakeS3(object('{"a":"0123456789"}')).client,
      bucket: BUCKET,
    });
    const error = await reader.read('claims/big.json', { maxBytes: 10 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).code).toBe('claim_check_too_large');
    expect((error as Error).message).not.toContain('18');
  });

  it('stops reading once the cap is passed when no Content-Length was sent', async () => {
    const reader = new S3ClaimCheckReader({
      client: fakeS3(object('{"a":"0123456789"}', { contentLength: false })).client,
      bucket: BUCKET,
    });
    await expect(reader.read('claims/big.json', { maxBytes: 10 })).rejects.toMatchObject({
      code: 'claim_check_too_large',
    });
  });

  it('refuses an object that is not JSON', async () => {
    const reader = new S3ClaimCheckReader({
      client: fakeS3(object('hello, world')).client,
      bucket: BUCKET,
    });
    const error = await reader.read('claims/text.txt', { maxBytes: 100 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).code).toBe('claim_check_not_json');
  });

  it.each([
    ['NoSuchKey', 404, NotFoundError],
    ['NoSuchBucket', 404, NotFoundError],
    // Without s3:ListBucket, S3 answers a missing key with AccessDenied: the same "not there".
    ['AccessDenied', 403, NotFoundError],
    ['SlowDown', 503, ThrottledError],
    ['InternalError', 500, UnavailableError],
  ] as const)('translates %s into a batchlane error', async (name, status, type) => {
    const reader = new S3ClaimCheckReader({
      client: fakeS3(async () => Promise.reject(awsError(name, status))).client,
      bucket: BUCKET,
    });
    const error = await reader.read('claims/k', { maxBytes: 100 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(type);
    expect((error as { retryable: boolean }).retryable).toBe(type !== NotFoundError);
    if (type === NotFoundError) {
      expect((error as Error).message).toBe('no claim-check object can be read at this key');
    }
  });

  it('treats a connection dropped mid-body as transient', async () => {
    const broken = new Readable({
      read() {
        this.destroy(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
      },
    });
    const reader = new S3ClaimCheckReader({
      client: fakeS3(async () => ({ Body: broken })).client,
      bucket: BUCKET,
    });
    await expect(reader.read('claims/k', { maxBytes: 100 })).rejects.toBeInstanceOf(
      UnavailableError,
    );
  });

  it('holds at most its in-flight budget of object bytes at once', async () => {
    // Each body is 40 bytes and waits to be read until the test says so; the budget is 100.
    const size = 40;
    const gates: (() => void)[] = [];
    let reading = 0;
    let mostReading = 0;
    const client = fakeS3(async () => ({
      ContentLength: size,
      Body: Readable.from(
        (async function* () {
          reading += 1;
          mostReading = Math.max(mostReading, reading);
          await new Promise<void>((resolve) => gates.push(resolve));
          reading -= 1;
          yield Buffer.from(`{"pad":"${'x'.repeat(size - 10)}"}`);
        })(),
      ),
    })).client;
    const reader = new S3ClaimCheckReader({ client, bucket: BUCKET, inFlightBytes: 100 });

    const reads = Array.from({ length: 6 }, (_, i) =>
      reader.read(`claims/${i}.json`, { maxBytes: 1000 }),
    );
    let settled = false;
    const all = Promise.all(reads).finally(() => {
      settled = true;
    });
    // Let one body through at a time; more reads start only as budget frees up.
    while (!settled) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      gates.shift()?.();
    }
    const bodies = await all;

    expect(bodies).toHaveLength(6);
    expect(mostReading).toBe(2);
  });
});
