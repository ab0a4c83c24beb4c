import { Mistral } from '@mistralai/mistralai';
import type { BatchJob } from '@mistralai/mistralai/models/components';
import { HTTPValidationError, MistralError } from '@mistralai/mistralai/models/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSimulator, startSimulator } from '../../local/simulator/startSimulator.js';
import { API_KEY, waitFor } from './simulatorTestKit.js';

let sim: RunningSimulator;
let client: Mistral;

beforeAll(async () => {
  sim = await startSimulator({ processingMs: 200, seed: 31, apiKeys: [API_KEY] });
  client = new Mistral({ apiKey: API_KEY, serverURL: sim.mistralBaseUrl });
});

afterAll(async () => {
  await sim.stop();
});

const ENDED: readonly string[] = ['SUCCESS', 'FAILED', 'TIMEOUT_EXCEEDED', 'CANCELLED'];

const settle = (jobId: string): Promise<BatchJob> =>
  waitFor(
    () => client.batch.jobs.get({ jobId }),
    (job) => ENDED.includes(job.status),
  );

const chatBody = (text: string, extra: Record<string, unknown> = {}) => ({
  max_tokens: 64,
  messages: [{ role: 'user', content: text }],
  ...extra,
});

const line = (customId: string, body: Record<string, unknown>): string =>
  JSON.stringify({ custom_id: customId, body });

const upload = (lines: string[]) =>
  client.files.upload({
    file: {
      fileName: 'input.jsonl',
      content: new TextEncoder().encode(`${lines.join('\n')}\n`),
    },
    purpose: 'batch',
  });

const text = async (stream: ReadableStream<Uint8Array>): Promise<string> =>
  new Response(stream).text();

const jsonLines = (body: string): Record<string, unknown>[] =>
  body
    .split('\n')
    .filter((row) => row !== '')
    .map((row) => JSON.parse(row) as Record<string, unknown>);

/** The error a call rejected with, which must be one of the SDK's HTTP errors. */
const mistralErrorOf = async (call: Promise<unknown>): Promise<MistralError> => {
  const error = await call.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof MistralError)) throw new Error(`expected a MistralError: ${error}`);
  return error;
};

describe('Mistral files and batch jobs through @mistralai/mistralai', () => {
  it('runs a file job: QUEUED or RUNNING, then SUCCESS with output and error files by custom_id', async () => {
    // Prepare
    const file = await upload([
      line('a-1', chatBody('first')),
      line('a-2', chatBody('second')),
      line('a-3', { ...chatBody('third'), model: 'no-such-model' }),
    ]);

    // Act
    const created = await client.batch.jobs.create({
      inputFiles: [file.id],
      endpoint: '/v1/chat/completions',
      model: 'mistral-small-latest',
      metadata: { batchlane_batch_id: 'b-file' },
    });
    const job = await settle(created.id);

    // Assess
    expect(file).toMatchObject({ purpose: 'batch', numLines: 3, sampleType: 'batch_request' });
    expect(['QUEUED', 'RUNNING']).toContain(created.status);
    expect(created.outputFile ?? null).toBeNull();
    expect(job).toMatchObject({
      status: 'SUCCESS',
      totalRequests: 3,
      succeededRequests: 2,
      failedRequests: 1,
      metadata: { batchlane_batch_id: 'b-file' },
    });
    const output = jsonLines(
      await text(await client.files.download({ fileId: job.outputFile ?? '' })),
    );
    const errors = jsonLines(
      await text(await client.files.download({ fileId: job.errorFile ?? '' })),
    );
    expect(output.map((row) => row.custom_id).sort()).toEqual(['a-1', 'a-2']);
    expect(output[0]).toMatchObject({
      response: {
        status_code: 200,
        body: { object: 'chat.completion', model: 'mistral-small-latest' },
      },
    });
    expect(errors).toEqual([
      expect.objectContaining({
        custom_id: 'a-3',
        response: {
          status_code: 400,
          body: expect.objectContaining({
            type: 'invalid_model',
            message: 'Invalid model: no-such-model',
          }),
        },
      }),
    ]);
  });

  it('runs an inline job and answers in the job outputs', async () => {
    // Act
    const created = await client.batch.jobs.create({
      requests: [
        { customId: 'i-1', body: { model: 'mistral-embed', input: ['hello'] } },
        { customId: 'i-2', body: { model: 'mistral-embed', input: 'world' } },
      ],
      endpoint: '/v1/embeddings',
      model: 'mistral-embed',
    });
    const job = await settle(created.id);

    // Assess
    expect(created.inputFiles).toEqual([]);
    expect(job.status).toBe('SUCCESS');
    expect(job.outputFile ?? null).toBeNull();
    const outputs = job.outputs ?? [];
    expect(outputs.map((item) => item.custom_id).sort()).toEqual(['i-1', 'i-2']);
    expect(outputs[0]).toMatchObject({
      response: { status_code: 200, body: { object: 'list', usage: { completion_tokens: 0 } } },
    });
  });

  it('lists jobs by metadata (exploded, as the SDK sends it), status and creation time', async () => {
    // Prepare
    const file = await upload([line('l-1', chatBody('x'))]);
    const since = new Date(Date.now() - 1000);
    const mine = await client.batch.jobs.create({
      inputFiles: [file.id],
      endpoint: '/v1/chat/completions',
      model: 'mistral-small-latest',
      metadata: { batchlane_batch_id: 'b-list', team: 'x' },
    });

    // Act
    const byMetadata = await client.batch.jobs.list({ metadata: { batchlane_batch_id: 'b-list' } });
    const none = await client.batch.jobs.list({ metadata: { batchlane_batch_id: 'b-nothing' } });
    const byStatus = await client.batch.jobs.list({ status: ['CANCELLED'] });
    const recent = await client.batch.jobs.list({ createdAfter: since, pageSize: 1, page: 0 });

    // Assess
    expect(byMetadata.data?.map((job) => job.id)).toEqual([mine.id]);
    expect(byMetadata.total).toBe(1);
    expect(none).toMatchObject({ total: 0, data: [] });
    expect(byStatus.data?.every((job) => job.status === 'CANCELLED')).toBe(true);
    expect(recent.data).toHaveLength(1);
    expect(recent.total).toBeGreaterThanOrEqual(1);
  });

  it('cancels a running job: CANCELLATION_REQUESTED, then CANCELLED', async () => {
    // Prepare
    const created = await client.batch.jobs.create(
      {
        requests: [{ customId: 'c-1', body: chatBody('slow') }],
        endpoint: '/v1/chat/completions',
        model: 'mistral-small-latest',
      },
      { headers: { 'x-sim-faults': JSON.stringify({ processingMs: 60_000 }) } },
    );

    // Act
    const cancelling = await client.batch.jobs.cancel({ jobId: created.id });
    const job = await settle(created.id);

    // Assess
    expect(cancelling.status).toBe('CANCELLATION_REQUESTED');
    expect(job.status).toBe('CANCELLED');
  });

  it('times a job out after its expiry with the finished requests only', async () => {
    // Act
    const created = await client.batch.jobs.create(
      {
        requests: Array.from({ length: 20 }, (_, i) => ({
          customId: `t-${i}`,
          body: chatBody('x'),
        })),
        endpoint: '/v1/chat/completions',
        model: 'mistral-small-latest',
      },
      { headers: { 'x-sim-faults': JSON.stringify({ expireAtFraction: 0.5 }) } },
    );
    const job = await settle(created.id);

    // Assess
    expect(job.status).toBe('TIMEOUT_EXCEEDED');
    expect(job.succeededRequests).toBeGreaterThan(0);
    expect(job.succeededRequests).toBeLessThan(20);
    expect(job.outputs).toHaveLength(job.succeededRequests);
  });

  it('fails a job whose input file is not JSONL, with its reason in errors', async () => {
    // Prepare
    const file = await upload(['{not json']);

    // Act
    const created = await client.batch.jobs.create({
      inputFiles: [file.id],
      endpoint: '/v1/chat/completions',
      model: 'mistral-small-latest',
    });
    const job = await settle(created.id);

    // Assess
    expect(job.status).toBe('FAILED');
    expect(job.errors[0]?.message).toMatch(/not valid JSONL/);
  });

  it('refuses a bad create as Mistral does: 422 detail, 400 invalid_model, 404 file', async () => {
    // Act
    const badEndpoint = await mistralErrorOf(
      client.batch.jobs.create({
        requests: [{ customId: 'x', body: chatBody('x') }],
        // An open enum at run time: the SDK sends what it is given.
        endpoint: '/v1/nothing' as '/v1/chat/completions',
        model: 'mistral-small-latest',
      }),
    );
    const badModel = await mistralErrorOf(
      client.batch.jobs.create({
        requests: [{ customId: 'x', body: chatBody('x') }],
        endpoint: '/v1/chat/completions',
        model: 'gpt-4o',
      }),
    );
    const missingFile = await mistralErrorOf(
      client.batch.jobs.create({
        inputFiles: ['00000000-0000-4000-a000-000000000000'],
        endpoint: '/v1/chat/completions',
        model: 'mistral-small-latest',
      }),
    );

    // Assess
    expect(badEndpoint.statusCode).toBe(422);
    expect(JSON.parse(badEndpoint.body)).toMatchObject({
      detail: [{ loc: ['body', 'endpoint'] }],
    });
    expect(badModel.statusCode).toBe(400);
    expect(JSON.parse(badModel.body)).toMatchObject({ object: 'error', type: 'invalid_model' });
    expect(missingFile.statusCode).toBe(404);
  });

  it('deletes jobs and files: gone afterwards', async () => {
    // Prepare
    const file = await upload([line('d-1', chatBody('x'))]);
    const created = await client.batch.jobs.create({
      inputFiles: [file.id],
      endpoint: '/v1/chat/completions',
      model: 'mistral-small-latest',
    });
    const job = await settle(created.id);

    // Act
    const deletedFile = await client.files.delete({ fileId: job.outputFile ?? '' });
    const deletedJob = await client.batch.jobs.delete({ jobId: job.id });
    const missing = await mistralErrorOf(client.batch.jobs.get({ jobId: job.id }));
    const missingOutput = await mistralErrorOf(
      client.files.download({ fileId: job.outputFile ?? '' }),
    );

    // Assess
    expect(deletedFile.deleted).toBe(true);
    expect(deletedJob.deleted).toBe(true);
    expect(missing.statusCode).toBe(404);
    expect(missingOutput.statusCode).toBe(404);
  });

  it('refuses a wrong key with 401', async () => {
    const other = new Mistral({ apiKey: 'wrong', serverURL: sim.mistralBaseUrl });
    const error = await mistralErrorOf(other.batch.jobs.list());
    expect(error.statusCode).toBe(401);
  });

  it('injects HTTP faults: refused without retries, recovered by the SDK with them', async () => {
    // Prepare
    const retrying = new Mistral({
      apiKey: API_KEY,
      serverURL: sim.mistralBaseUrl,
      retryConfig: {
        strategy: 'backoff',
        backoff: { initialInterval: 5, maxInterval: 20, exponent: 2, maxElapsedTime: 10_000 },
        retryConnectionErrors: true,
      },
    });
    const injectedBefore = sim.stats().http.injectedErrors;
    try {
      // Act
      sim.setFaults({ http: { rate: 1, statuses: [503], pathPattern: '^/mistral/v1/batch' } });
      const plain = await mistralErrorOf(client.batch.jobs.list());
      sim.setFaults({
        http: { rate: 0.5, statuses: [429, 503], pathPattern: '^/mistral/v1/batch' },
      });
      const lists = [];
      for (let i = 0; i < 6; i += 1) lists.push(await retrying.batch.jobs.list());

      // Assess
      expect(plain.statusCode).toBe(503);
      expect(JSON.parse(plain.body)).toMatchObject({ object: 'error' });
      expect(lists.every((list) => list.object === 'list')).toBe(true);
      expect(sim.stats().http.injectedErrors - injectedBefore).toBeGreaterThan(1);
    } finally {
      sim.setFaults({});
    }
  });
});

describe('Mistral synchronous endpoints through @mistralai/mistralai', () => {
  it('answers chat, embeddings and FIM with usage', async () => {
    // Act
    const chat = await client.chat.complete({
      model: 'mistral-small-latest',
      messages: [{ role: 'user', content: 'Hello' }],
      maxTokens: 20,
    });
    const embeddings = await client.embeddings.create({
      model: 'mistral-embed',
      inputs: ['a', 'b'],
    });
    const fim = await client.fim.complete({ model: 'codestral-latest', prompt: 'def f(' });

    // Assess
    expect(chat.usage?.completionTokens).toBeLessThanOrEqual(20);
    expect(chat.choices?.[0]?.message?.role).toBe('assistant');
    expect(embeddings.data).toHaveLength(2);
    expect(embeddings.data[0]?.embedding).toHaveLength(1024);
    expect(fim.usage?.promptTokens).toBeGreaterThan(0);
  });

  it('refuses an unknown model with 400 and a missing field with 422 HTTPValidationError', async () => {
    // Act
    const badModel = await mistralErrorOf(
      client.chat.complete({ model: 'nope-model', messages: [{ role: 'user', content: 'x' }] }),
    );
    const missing = await mistralErrorOf(
      client.chat.complete({ model: 'mistral-small-latest', messages: [] }),
    );

    // Assess
    expect(badModel.statusCode).toBe(400);
    expect(JSON.parse(badModel.body)).toMatchObject({ type: 'invalid_model' });
    expect(missing).toBeInstanceOf(HTTPValidationError);
    expect(missing.statusCode).toBe(422);
  });
});
