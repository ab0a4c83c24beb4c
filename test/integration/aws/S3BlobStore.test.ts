import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../../shared/adapters/aws/createAwsClients.js';
import { S3BlobStore } from '../../../shared/adapters/aws/S3BlobStore.js';
import { NotFoundError } from '../../../shared/domain/errors.js';
import { createBucket, emulatorClients } from './awsTestKit.js';

const MIB = 1024 * 1024;

/** `total` bytes in 64 KiB chunks, deterministic, never all in memory at once. */
async function* generated(total: number): AsyncIterable<Uint8Array> {
  const chunk = Buffer.alloc(64 * 1024);
  for (let sent = 0, n = 0; sent < total; n++) {
    chunk.fill(n % 251);
    const size = Math.min(chunk.length, total - sent);
    yield Buffer.from(chunk.subarray(0, size));
    sent += size;
  }
}

const sha256 = async (source: AsyncIterable<Uint8Array>): Promise<string> => {
  const hash = createHash('sha256');
  for await (const chunk of source) hash.update(chunk);
  return hash.digest('hex');
};

describe('S3BlobStore on fauxqs', () => {
  let clients: AwsClients;
  let store: S3BlobStore;
  let bucket: string;
  const commands: string[] = [];

  beforeAll(async () => {
    clients = emulatorClients();
    clients.s3.middlewareStack.add(
      (next, context) => async (args) => {
        commands.push(String(context.commandName));
        return next(args);
      },
      { step: 'initialize', name: 'recordCommands' },
    );
    bucket = await createBucket(clients, 'blobs');
    store = new S3BlobStore({
      client: clients.s3,
      bucket,
      keyPrefix: 'env/',
      partSizeBytes: 5 * MIB,
    });
  });

  afterAll(() => clients.destroy());

  it('writes and reads a small object, reports existence and deletes it', async () => {
    const body = 'línea 1 “quoted”\nlínea 2\n';
    expect(await store.put('small/a.jsonl', body, { contentType: 'application/x-ndjson' })).toEqual(
      {
        bytes: Buffer.byteLength(body),
      },
    );
    expect(await store.exists('small/a.jsonl')).toBe(true);
    expect(await text(await store.getStream('small/a.jsonl'))).toBe(body);
    expect(store.uri('small/a.jsonl')).toBe(`s3://${bucket}/env/small/a.jsonl`);
    await store.delete('small/a.jsonl');
    expect(await store.exists('small/a.jsonl')).toBe(false);
  });

  it('streams a multi-part object up and down unchanged, and reads from an offset', async () => {
    const total = 12 * MIB + 12_345;
    const expected = await sha256(generated(total));
    commands.length = 0;
    const { bytes } = await store.put('big/input.jsonl', Readable.from(generated(total)));
    expect(bytes).toBe(total);
    // 5 MiB parts: 5 + 5 + 2 MiB.
    expect(commands.filter((c) => c === 'UploadPartCommand')).toHaveLength(3);
    expect(commands).toContain('CompleteMultipartUploadCommand');
    expect(await sha256(await store.getStream('big/input.jsonl'))).toBe(expected);

    const offset = 10 * MIB + 7;
    const tail = Buffer.concat(
      await (await store.getStream('big/input.jsonl', { start: offset })).toArray(),
    );
    expect(tail.length).toBe(total - offset);
    const whole = Buffer.concat(await Readable.from(generated(total)).toArray());
    expect(tail.equals(whole.subarray(offset))).toBe(true);
  });

  it('uploads a plain async iterable and a large buffer in parts', async () => {
    expect((await store.put('iter/a.bin', generated(300_000))).bytes).toBe(300_000);
    const buffer = Buffer.alloc(11 * MIB, 7);
    expect((await store.put('buf/a.bin', buffer)).bytes).toBe(buffer.length);
    const back = Buffer.concat(await (await store.getStream('buf/a.bin')).toArray());
    expect(back.equals(buffer)).toBe(true);
  });

  it('throws NotFoundError for a missing object and bucket', async () => {
    await expect(store.getStream('nope')).rejects.toBeInstanceOf(NotFoundError);
    const orphan = new S3BlobStore({ client: clients.s3, bucket: 'no-such-bucket-here' });
    await expect(orphan.put('k', 'v')).rejects.toBeInstanceOf(NotFoundError);
  });
});
