import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSimulator, startSimulator } from '../../local/simulator/startSimulator.js';
import {
  API_KEY,
  chatLine,
  openaiClient,
  parseJsonl,
  settleBatch,
  uploadJsonl,
  waitFor,
} from './simulatorTestKit.js';

let sim: RunningSimulator;
let client: OpenAI;

beforeAll(async () => {
  sim = await startSimulator({
    processingMs: 200,
    seed: 11,
    apiKeys: [API_KEY],
    limits: { openaiMaxRequests: 8, openaiMaxFileBytes: 100_000 },
  });
  client = openaiClient(sim);
});

afterAll(async () => {
  await sim.stop();
});

const fileText = async (id: string | null | undefined): Promise<string> => {
  if (id === null || id === undefined) throw new Error('missing file id');
  return (await client.files.content(id)).text();
};

const createBatch = async (
  lines: string[],
  endpoint: OpenAI.Batches.BatchCreateParams['endpoint'] = '/v1/chat/completions',
  metadata?: Record<string, string>,
) => {
  const file = await uploadJsonl(client, lines);
  return client.batches.create({
    input_file_id: file.id,
    endpoint,
    completion_window: '24h',
    ...(metadata === undefined ? {} : { metadata }),
  });
};

describe('OpenAI Files API', () => {
  it('uploads, retrieves, lists, downloads and deletes files, byte for byte', async () => {
    // Bytes that look like multipart framing must survive the upload untouched.
    const tricky = Buffer.concat([
      Buffer.from('{"a":1}\r\n--not-a-boundary\r\n\r\n'),
      Buffer.from([0, 255, 13, 10, 45, 45, 13, 10]),
      Buffer.from('\n'),
    ]);
    const uploaded = await client.files.create({
      file: await toFile(tricky, 'tricky.jsonl'),
      purpose: 'batch',
    });
    expect(uploaded).toMatchObject({
      object: 'file',
      bytes: tricky.length,
      filename: 'tricky.jsonl',
      purpose: 'batch',
      status: 'processed',
    });
    expect(uploaded.id).toMatch(/^file-/);
    expect(uploaded.expires_at).toBe(uploaded.created_at + 30 * 24 * 3600);
    const downloaded = Buffer.from(await (await client.files.content(uploaded.id)).arrayBuffer());
    expect(downloaded.equals(tricky)).toBe(true);
    expect((await client.files.retrieve(uploaded.id)).bytes).toBe(tricky.length);

    const other = await client.files.create({
      file: await toFile(Buffer.from('{}'), 'notes.json'),
      purpose: 'user_data',
    });
    const batchFiles = await client.files.list({ purpose: 'batch' });
    expect(batchFiles.data.map((f) => f.id)).toContain(uploaded.id);
    expect(batchFiles.data.map((f) => f.id)).not.toContain(other.id);

    const asc = await client.files.list({ order: 'asc', limit: 1 });
    expect(asc.data).toHaveLength(1);
    expect(asc.has_more).toBe(true);
    const allAsc: string[] = [];
    for await (const file of client.files.list({ order: 'asc', limit: 1 })) allAsc.push(file.id);
    expect(allAsc.indexOf(uploaded.id)).toBeLessThan(allAsc.indexOf(other.id));

    expect(await client.files.delete(other.id)).toEqual({
      id: other.id,
      object: 'file',
      deleted: true,
    });
    await expect(client.files.retrieve(other.id)).rejects.toThrow(OpenAI.NotFoundError);
    await expect(
      client.files.create({ file: await toFile(Buffer.from('{}'), 'x.txt'), purpose: 'batch' }),
    ).rejects.toThrow(/jsonl/);
  });
});

describe('OpenAI Batch API', () => {
  it('walks validating → in_progress → finalizing → completed and writes output files', async () => {
    const slow = await startSimulator({ processingMs: 1000, seed: 5 });
    try {
      const c = openaiClient(slow);
      const file = await uploadJsonl(
        c,
        ['a', 'b', 'c', 'd'].map((id) => chatLine(id, `question ${id}`)),
      );
      const batch = await c.batches.create({
        input_file_id: file.id,
        endpoint: '/v1/chat/completions',
        completion_window: '24h',
        metadata: { job: 'ladder' },
      });
      expect(batch).toMatchObject({
        object: 'batch',
        status: 'validating',
        endpoint: '/v1/chat/completions',
        input_file_id: file.id,
        completion_window: '24h',
        metadata: { job: 'ladder' },
        output_file_id: null,
        error_file_id: null,
        errors: null,
        request_counts: { total: 0, completed: 0, failed: 0 },
      });
      expect(batch.id).toMatch(/^batch_/);
      expect(batch.expires_at).toBe(batch.created_at + 24 * 3600);
      const seen = new Set<string>();
      const done = await waitFor(
        async () => {
          const b = await c.batches.retrieve(batch.id);
          seen.add(b.status);
          return b;
        },
        (b) => b.status === 'completed',
      );
      expect([...seen]).toEqual(
        expect.arrayContaining(['validating', 'in_progress', 'finalizing', 'completed']),
      );
      expect(done.request_counts).toEqual({ total: 4, completed: 4, failed: 0 });
      expect(done.model).toBe('gpt-4o-mini');
      for (const field of ['in_progress_at', 'finalizing_at', 'completed_at'] as const) {
        expect(done[field]).toBeGreaterThanOrEqual(done.created_at);
      }
      expect(done.error_file_id).toBeNull();
      expect(done.usage?.input_tokens).toBeGreaterThan(0);
      expect(done.usage?.total_tokens).toBe(
        (done.usage?.input_tokens ?? 0) + (done.usage?.output_tokens ?? 0),
      );
      const outputId = done.output_file_id ?? '';
      const output = await c.files.retrieve(outputId);
      expect(output.purpose).toBe('batch_output');
      const text = await (await c.files.content(outputId)).text();
      expect(Buffer.byteLength(text)).toBe(output.bytes);
      expect(text.endsWith('\n')).toBe(true);
      const lines = parseJsonl(text);
      expect(lines.map((l) => l.custom_id).sort()).toEqual(['a', 'b', 'c', 'd']);
      let outputTokens = 0;
      for (const line of lines) {
        expect(line.id).toMatch(/^batch_req_/);
        expect(line.error).toBeNull();
        const response = line.response as {
          status_code: number;
          request_id: string;
          body: OpenAI.ChatCompletion;
        };
        expect(response.status_code).toBe(200);
        expect(response.request_id).toMatch(/^req_/);
        expect(response.body.object).toBe('chat.completion');
        expect(response.body.choices[0]?.message.content?.length).toBeGreaterThan(0);
        expect(response.body.usage?.prompt_tokens_details?.cached_tokens).toBe(0);
        outputTokens += response.body.usage?.completion_tokens ?? 0;
      }
      expect(done.usage?.output_tokens).toBe(outputTokens);
    } finally {
      await slow.stop();
    }
  });

  it('puts HTTP-level failures, and their bodies, in the error file', async () => {
    const batch = await createBatch([
      chatLine('good', 'hello'),
      chatLine('bad-request__sim_invalid_request_error', 'hello'),
      chatLine('server__sim_api_error', 'hello'),
      chatLine('throttled__sim_rate_limit_error', 'hello'),
      chatLine('slow__sim_timeout_error', 'hello'),
      JSON.stringify({
        custom_id: 'no-messages',
        method: 'POST',
        url: '/v1/chat/completions',
        body: { model: 'gpt-4o-mini' },
      }),
    ]);
    const done = await settleBatch(client, batch.id);
    expect(done.status).toBe('completed');
    expect(done.request_counts).toEqual({ total: 6, completed: 1, failed: 5 });
    const errors = new Map(
      parseJsonl(await fileText(done.error_file_id)).map((l) => [l.custom_id, l]),
    );
    const status = (id: string) =>
      (errors.get(id)?.response as { status_code: number } | undefined)?.status_code;
    expect(status('bad-request__sim_invalid_request_error')).toBe(400);
    expect(status('server__sim_api_error')).toBe(500);
    expect(status('throttled__sim_rate_limit_error')).toBe(429);
    expect(errors.get('slow__sim_timeout_error')).toMatchObject({
      response: null,
      error: { code: 'request_timeout' },
    });
    expect(errors.get('no-messages')).toMatchObject({
      error: null,
      response: {
        status_code: 400,
        body: { error: { type: 'invalid_request_error', param: 'messages' } },
      },
    });
    expect(parseJsonl(await fileText(done.output_file_id)).map((l) => l.custom_id)).toEqual([
      'good',
    ]);
  });

  it('answers embeddings and responses endpoints with their own objects', async () => {
    const embeddingsBatch = await createBatch(
      ['e1', 'e2'].map((id) =>
        JSON.stringify({
          custom_id: id,
          method: 'POST',
          url: '/v1/embeddings',
          body: { model: 'text-embedding-3-small', input: ['alpha text', 'beta'], dimensions: 8 },
        }),
      ),
      '/v1/embeddings',
    );
    const embedded = await settleBatch(client, embeddingsBatch.id);
    const first = parseJsonl(await fileText(embedded.output_file_id))[0]?.response as {
      body: OpenAI.CreateEmbeddingResponse;
    };
    expect(first.body.object).toBe('list');
    expect(first.body.data).toHaveLength(2);
    expect(first.body.data[1]).toMatchObject({ object: 'embedding', index: 1 });
    const vector = first.body.data[0]?.embedding ?? [];
    expect(vector).toHaveLength(8);
    expect(Math.hypot(...vector)).toBeCloseTo(1, 3);
    expect(first.body.usage.prompt_tokens).toBeGreaterThan(0);

    const longPrompt = 'A shared preamble that repeats. '.repeat(400);
    const responsesBatch = await createBatch(
      ['r1', 'r2', 'r3', 'r4'].map((id) =>
        JSON.stringify({
          custom_id: id,
          method: 'POST',
          url: '/v1/responses',
          body: { model: 'gpt-5', instructions: longPrompt, input: `Question ${id}` },
        }),
      ),
      '/v1/responses',
    );
    const responded = await settleBatch(client, responsesBatch.id);
    const bodies = parseJsonl(await fileText(responded.output_file_id)).map(
      (l) => (l.response as { body: OpenAI.Responses.Response }).body,
    );
    for (const body of bodies) {
      expect(body.object).toBe('response');
      expect(body.id).toMatch(/^resp_/);
      expect(body.status).toBe('completed');
      expect(body.output_text ?? body.output[0]?.type).toBeDefined();
      expect(body.usage?.input_tokens).toBeGreaterThan(1024);
    }
    const cached = bodies.reduce(
      (sum, b) => sum + (b.usage?.input_tokens_details.cached_tokens ?? 0),
      0,
    );
    expect(cached).toBeGreaterThan(0);
    expect(responded.usage?.input_tokens_details.cached_tokens).toBe(cached);
  });

  it('fails batches whose input file does not validate', async () => {
    const failedWith = async (lines: string[]) => {
      const done = await settleBatch(client, (await createBatch(lines)).id);
      expect(done.status).toBe('failed');
      expect(done.failed_at).not.toBeNull();
      expect(done.output_file_id).toBeNull();
      expect(done.errors?.object).toBe('list');
      return done.errors?.data ?? [];
    };
    const mismatch = await failedWith([
      chatLine('a', 'x'),
      JSON.stringify({
        custom_id: 'b',
        method: 'POST',
        url: '/v1/embeddings',
        body: { model: 'gpt-4o-mini', input: 'x' },
      }),
    ]);
    expect(mismatch).toEqual([
      expect.objectContaining({ code: 'invalid_url', line: 2, param: 'url' }),
    ]);

    const twoModels = await failedWith([chatLine('a', 'x'), chatLine('b', 'y', 'gpt-4o')]);
    expect(twoModels[0]).toMatchObject({ code: 'mismatched_model', line: 2 });

    const malformed = await failedWith([chatLine('a', 'x'), '{"custom_id": "b",']);
    expect(malformed[0]).toMatchObject({ code: 'invalid_json_line', line: 2 });

    const duplicate = await failedWith([chatLine('a', 'x'), chatLine('a', 'y')]);
    expect(duplicate[0]).toMatchObject({ code: 'duplicate_custom_id', line: 2 });

    // Limits were lowered to 8 lines / 100 kB for this simulator.
    const tooMany = await failedWith(Array.from({ length: 9 }, (_, i) => chatLine(`n${i}`, 'x')));
    expect(tooMany[0]).toMatchObject({ code: 'too_many_requests' });
    const tooBig = await failedWith([chatLine('big', 'x'.repeat(120_000))]);
    expect(tooBig[0]).toMatchObject({ code: 'file_too_large' });
  });

  it('rejects bad create requests synchronously', async () => {
    const file = await uploadJsonl(client, [chatLine('a', 'x')]);
    await expect(
      client.batches.create({
        input_file_id: file.id,
        endpoint: '/v1/chat/completions',
        completion_window: '48h' as '24h',
      }),
    ).rejects.toThrow(OpenAI.BadRequestError);
    await expect(
      client.batches.create({
        input_file_id: 'file-missing',
        endpoint: '/v1/chat/completions',
        completion_window: '24h',
      }),
    ).rejects.toThrow(OpenAI.NotFoundError);
    const wrongKey = new OpenAI({ apiKey: 'wrong', baseURL: sim.openaiBaseUrl, maxRetries: 0 });
    const denied = await wrongKey.batches.list().catch((error: unknown) => error);
    expect(denied).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((denied as InstanceType<typeof OpenAI.AuthenticationError>).code).toBe(
      'invalid_api_key',
    );
    await expect(client.batches.retrieve('batch_missing')).rejects.toThrow(OpenAI.NotFoundError);
  });

  it('lists batches newest first with after/limit and SDK auto-pagination', async () => {
    const fresh = await startSimulator({ processingMs: 50 });
    try {
      const c = openaiClient(fresh);
      const file = await uploadJsonl(c, [chatLine('a', 'x')]);
      const ids: string[] = [];
      for (let i = 0; i < 5; i += 1) {
        const b = await c.batches.create({
          input_file_id: file.id,
          endpoint: '/v1/chat/completions',
          completion_window: '24h',
        });
        ids.push(b.id);
      }
      const newestFirst = [...ids].reverse();
      const page = await c.batches.list({ limit: 2 });
      expect(page.data.map((b) => b.id)).toEqual(newestFirst.slice(0, 2));
      expect(page.has_more).toBe(true);
      const next = await c.batches.list({ limit: 2, after: newestFirst[1] ?? '' });
      expect(next.data.map((b) => b.id)).toEqual(newestFirst.slice(2, 4));
      const all: string[] = [];
      for await (const b of c.batches.list({ limit: 2 })) all.push(b.id);
      expect(all).toEqual(newestFirst);
      await expect(c.batches.list({ limit: 101 })).rejects.toThrow(OpenAI.BadRequestError);
    } finally {
      await fresh.stop();
    }
  });

  it('cancels: cancelling, then cancelled with batch_cancelled lines', async () => {
    const slow = await startSimulator({ processingMs: 4000, seed: 2 });
    try {
      const c = openaiClient(slow);
      const file = await uploadJsonl(
        c,
        Array.from({ length: 10 }, (_, i) => chatLine(`k${i}`, 'x')),
      );
      const batch = await c.batches.create({
        input_file_id: file.id,
        endpoint: '/v1/chat/completions',
        completion_window: '24h',
      });
      const cancelling = await c.batches.cancel(batch.id);
      expect(cancelling.status).toBe('cancelling');
      expect(cancelling.cancelling_at).not.toBeNull();
      const done = await waitFor(
        () => c.batches.retrieve(batch.id),
        (b) => b.status === 'cancelled',
      );
      expect(done.cancelled_at).not.toBeNull();
      expect(done.output_file_id).toBeNull();
      const lines = parseJsonl(await (await c.files.content(done.error_file_id ?? '')).text());
      expect(lines).toHaveLength(10);
      for (const line of lines) {
        expect(line.response).toBeNull();
        expect(line.error).toMatchObject({ code: 'batch_cancelled' });
      }
      await expect(c.batches.cancel(batch.id)).rejects.toThrow(OpenAI.BadRequestError);
    } finally {
      await slow.stop();
    }
  });
});
