import { request } from 'node:http';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI, { toStreamingFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSimulator, startSimulator } from '../../local/simulator/startSimulator.js';
import {
  API_KEY,
  anthropicClient,
  chatLine,
  collect,
  messageParams,
  openaiClient,
  waitFor,
} from './simulatorTestKit.js';

/**
 * Request bodies sent chunked, without a content-length: what the SDKs send when given a
 * stream (batchlane streams large batch submissions).
 */

let sim: RunningSimulator;
/** Provider-sized limits (256 MB Anthropic body). */
let fullSim: RunningSimulator;

beforeAll(async () => {
  sim = await startSimulator({
    processingMs: 100,
    seed: 5,
    apiKeys: [API_KEY],
    limits: { anthropicMaxBodyBytes: 300_000, openaiMaxUploadBytes: 300_000 },
  });
  fullSim = await startSimulator({ processingMs: 100, seed: 6, apiKeys: [API_KEY] });
});

afterAll(async () => {
  await sim.stop();
  await fullSim.stop();
});

const encoder = new TextEncoder();

/** `text` as chunks of at most `size` bytes, produced one at a time. */
async function* chunked(text: string, size = 1000): AsyncGenerator<Uint8Array> {
  const bytes = encoder.encode(text);
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

const createBody = (count: number, chars: number): string =>
  JSON.stringify({
    requests: Array.from({ length: count }, (_, i) => ({
      custom_id: `s-${i}`,
      params: messageParams(`${i} ${'x'.repeat(chars)}`),
    })),
  });

/**
 * POSTs `total` bytes of filler, chunked (node:http sends chunked when no content-length is
 * set), with Anthropic headers; answers with the status and parsed body.
 */
const postChunked = (
  target: RunningSimulator,
  path: string,
  total: number,
): Promise<{ status: number; body: unknown }> =>
  new Promise((resolve, reject) => {
    const req = request(
      `${target.url}${path}`,
      {
        method: 'POST',
        headers: {
          'x-api-key': API_KEY,
          'anthropic-version': '2023-06-01',
          'content-type': 'application/json',
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as unknown }),
        );
      },
    );
    req.on('error', reject);
    const block = Buffer.alloc(1024 * 1024, 0x20);
    let sent = 0;
    const pump = (): void => {
      while (sent < total) {
        const piece = block.subarray(0, Math.min(block.length, total - sent));
        sent += piece.length;
        if (!req.write(piece)) {
          req.once('drain', pump);
          return;
        }
      }
      req.end();
    };
    pump();
  });

describe('streamed (chunked) request bodies', () => {
  it('creates an Anthropic batch from a body given to the SDK as a stream', async () => {
    const client = anthropicClient(sim, 0);
    const body = createBody(40, 2000);
    expect(body.length).toBeGreaterThan(80_000);

    const batch = await client.messages.batches.create(
      { requests: [] },
      { body: chunked(body), headers: { 'content-type': 'application/json' } },
    );

    expect(batch.request_counts.processing).toBe(40);
    const ended = await waitFor(
      () => client.messages.batches.retrieve(batch.id),
      (b) => b.processing_status === 'ended',
    );
    const results = await collect(await client.messages.batches.results(ended.id));
    expect(results.map((r) => r.custom_id).sort()).toEqual(
      Array.from({ length: 40 }, (_, i) => `s-${i}`).sort(),
    );
  });

  it('answers a streamed Anthropic body over the limit with 413 request_too_large', async () => {
    const client = anthropicClient(sim, 0);
    const body = createBody(200, 2000);
    expect(body.length).toBeGreaterThan(300_000);

    const error = await client.messages.batches
      .create(
        { requests: [] },
        { body: chunked(body), headers: { 'content-type': 'application/json' } },
      )
      .catch((e: unknown) => e);

    // A 413 read from a healthy connection, not a reset the client would see as a network error.
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect((error as InstanceType<typeof Anthropic.APIError>).status).toBe(413);
    expect((error as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({
      error: { type: 'request_too_large' },
    });
  });

  it('answers a chunked body over the default 256 MB with 413 request_too_large', async () => {
    const answer = await postChunked(fullSim, '/v1/messages/batches', 256 * 1000 * 1000 + 1);

    expect(answer.status).toBe(413);
    expect(answer.body).toMatchObject({ type: 'error', error: { type: 'request_too_large' } });
  });

  it('creates no batch from a body cut off mid-way, and serves the next request', async () => {
    const client = anthropicClient(sim, 0);
    const before = sim.stats().anthropic.batches;
    const body = createBody(40, 2000);
    async function* cut(): AsyncGenerator<Uint8Array> {
      let sent = 0;
      for await (const chunk of chunked(body)) {
        sent += chunk.length;
        if (sent > body.length / 2) throw new Error('source failed');
        yield chunk;
      }
    }

    await expect(
      client.messages.batches.create(
        { requests: [] },
        { body: cut(), headers: { 'content-type': 'application/json' } },
      ),
    ).rejects.toBeInstanceOf(Anthropic.APIConnectionError);

    expect(sim.stats().anthropic.batches).toEqual(before);
    const next = await client.messages.batches.create({
      requests: [{ custom_id: 'after', params: messageParams('x') }],
    });
    expect(next.request_counts.processing).toBe(1);
  });

  it('stores an OpenAI file uploaded as a streamed multipart body, named as given', async () => {
    const client: OpenAI = openaiClient(sim, 0);
    const jsonl = `${Array.from({ length: 50 }, (_, i) => chatLine(`f-${i}`, `q${i} ${'y'.repeat(1000)}`)).join('\n')}\n`;

    const file = await client.files.create({
      file: toStreamingFile(chunked(jsonl), 'streamed.jsonl', { type: 'application/jsonl' }),
      purpose: 'batch',
    });

    expect(file).toMatchObject({
      filename: 'streamed.jsonl',
      bytes: Buffer.byteLength(jsonl),
      purpose: 'batch',
    });
    expect(await (await client.files.content(file.id)).text()).toBe(jsonl);
  });

  it('answers a streamed OpenAI upload over the limit with 413', async () => {
    const client: OpenAI = openaiClient(sim, 0);
    const filesBefore = sim.stats().files;
    const jsonl = `${Array.from({ length: 400 }, (_, i) => chatLine(`g-${i}`, 'z'.repeat(1000))).join('\n')}\n`;

    const error = await client.files
      .create({
        file: toStreamingFile(chunked(jsonl), 'big.jsonl', { type: 'application/jsonl' }),
        purpose: 'batch',
      })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(413);
    expect(sim.stats().files).toBe(filesBefore);
  });
});
