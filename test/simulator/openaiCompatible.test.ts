import OpenAI, { AzureOpenAI, toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSimulator, startSimulator } from '../../local/simulator/startSimulator.js';
import {
  API_KEY,
  chatLine,
  parseJsonl,
  profileClient,
  settleBatch,
  uploadJsonl,
} from './simulatorTestKit.js';

/*
 * The OpenAI-compatible providers the simulator serves under their own prefixes, each through
 * the `openai` SDK the way batchlane drives them, and each departure from OpenAI's API.
 */

let sim: RunningSimulator;

beforeAll(async () => {
  sim = await startSimulator({ processingMs: 200, seed: 5, apiKeys: [API_KEY] });
});

afterAll(async () => {
  await sim.stop();
});

const azureClient = (apiVersion = '2024-10-21'): AzureOpenAI =>
  new AzureOpenAI({
    apiKey: API_KEY,
    endpoint: sim.profileBaseUrls['azure-openai'],
    apiVersion,
    maxRetries: 0,
  });

const bodyOnlyLine = (
  customId: string,
  text: string,
  model = 'meta-llama/Llama-3.3-70B-Instruct-Turbo',
) =>
  JSON.stringify({
    custom_id: customId,
    body: { model, messages: [{ role: 'user', content: text }], max_tokens: 50 },
  });

const azureLine = (customId: string, deployment: string, url = '/chat/completions') =>
  JSON.stringify({
    custom_id: customId,
    method: 'POST',
    url,
    body: { model: deployment, messages: [{ role: 'user', content: 'hi' }], max_tokens: 50 },
  });

describe('groq', () => {
  it('serves Files and Batches under /openai/v1 and takes completion windows from 24h to 7d', async () => {
    const client = profileClient(sim, 'groq');
    expect(sim.profileBaseUrls.groq).toMatch(/\/groq\/openai\/v1$/);
    const file = await uploadJsonl(
      client,
      [chatLine('g-1', 'one', 'llama-3.1-8b-instant')],
      'batch',
    );
    const batch = await client.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '7d' as '24h',
    });
    expect(batch.status).toBe('validating');
    expect(batch.completion_window).toBe('7d');
    // A 7-day window expires seven simulated days after creation.
    expect((batch.expires_at ?? 0) - batch.created_at).toBe(7 * 24 * 3600);
    const done = await settleBatch(client, batch.id);
    expect(done.status).toBe('completed');
    const lines = parseJsonl(await (await client.files.content(done.output_file_id ?? '')).text());
    expect(lines.map((line) => line.custom_id)).toEqual(['g-1']);
  });

  it('refuses a window outside 24h to 7d', async () => {
    const client = profileClient(sim, 'groq');
    const file = await uploadJsonl(
      client,
      [chatLine('g-2', 'two', 'llama-3.1-8b-instant')],
      'batch',
    );
    await expect(
      client.batches.create({
        input_file_id: file.id,
        endpoint: '/v1/chat/completions',
        completion_window: '8d' as '24h',
      }),
    ).rejects.toMatchObject({ status: 400, param: 'completion_window' });
  });

  it('keeps its batches and files apart from OpenAI and the other providers', async () => {
    const groq = profileClient(sim, 'groq');
    const openai = new OpenAI({ apiKey: API_KEY, baseURL: sim.openaiBaseUrl, maxRetries: 0 });
    const file = await uploadJsonl(
      groq,
      [chatLine('g-3', 'three', 'llama-3.1-8b-instant')],
      'batch',
    );
    await expect(openai.files.retrieve(file.id)).rejects.toMatchObject({ status: 404 });
    await expect(profileClient(sim, 'xai').files.retrieve(file.id)).rejects.toMatchObject({
      status: 404,
    });
    expect((await groq.files.retrieve(file.id)).id).toBe(file.id);
  });
});

describe('together', () => {
  it('takes {custom_id, body} lines with purpose batch-api and answers its own batch object', async () => {
    const client = profileClient(sim, 'together');
    const file = await uploadJsonl(
      client,
      [bodyOnlyLine('t-1', 'one'), bodyOnlyLine('t-2', 'two')],
      'batch-api',
    );
    const created = (await client.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    })) as unknown as { job: Record<string, unknown> };
    // Together wraps the batch in `job`, with upper-case statuses and RFC 3339 times.
    expect(created.job.status).toBe('VALIDATING');
    expect(created.job.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(created.job).not.toHaveProperty('metadata');
    expect(created.job.model_id).toBe('meta-llama/Llama-3.3-70B-Instruct-Turbo');
    const done = await settleBatch(client, String(created.job.id));
    expect(done.status).toBe('COMPLETED' as never);
    expect((done as unknown as { progress: number }).progress).toBe(100);
    const lines = parseJsonl(await (await client.files.content(done.output_file_id ?? '')).text());
    expect(lines.map((line) => line.custom_id).sort()).toEqual(['t-1', 't-2']);
  });

  it("refuses OpenAI's purpose and batch files whose custom_id is over 64 characters", async () => {
    const client = profileClient(sim, 'together');
    await expect(uploadJsonl(client, [bodyOnlyLine('t-3', 'x')], 'batch')).rejects.toMatchObject({
      status: 400,
      param: 'purpose',
    });
    const file = await uploadJsonl(client, [bodyOnlyLine('t'.repeat(65), 'x')], 'batch-api');
    const created = (await client.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    })) as unknown as { job: { id: string } };
    const failed = await settleBatch(client, created.job.id);
    expect(failed.status).toBe('FAILED' as never);
    expect((failed as unknown as { error: string }).error).toMatch(/at most 64/);
  });

  it('writes error lines as {custom_id, error: {message, code}}', async () => {
    const client = profileClient(sim, 'together');
    const bad = JSON.stringify({
      custom_id: 't-bad',
      body: { model: 'meta-llama/Llama-3.3-70B-Instruct-Turbo', messages: [], max_tokens: 5 },
    });
    const file = await uploadJsonl(client, [bodyOnlyLine('t-ok', 'fine'), bad], 'batch-api');
    const created = (await client.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    })) as unknown as { job: { id: string } };
    const done = await settleBatch(client, created.job.id);
    const errors = parseJsonl(await (await client.files.content(done.error_file_id ?? '')).text());
    expect(errors).toHaveLength(1);
    expect(Object.keys(errors[0] ?? {}).sort()).toEqual(['custom_id', 'error']);
    expect(errors[0]).toMatchObject({ custom_id: 't-bad', error: { message: expect.any(String) } });
  });
});

describe('xai', () => {
  it("serves OpenAI's Files and Batches under its own prefix", async () => {
    const client = profileClient(sim, 'xai');
    const file = await uploadJsonl(client, [chatLine('x-1', 'one', 'grok-4-fast')], 'batch');
    const batch = await client.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
      metadata: { job: 'x' },
    });
    const done = await settleBatch(client, batch.id);
    expect(done).toMatchObject({ status: 'completed', metadata: { job: 'x' } });
    expect(done.request_counts).toEqual({ total: 1, completed: 1, failed: 0 });
  });
});

describe('azure-openai', () => {
  it('serves /openai/files and /openai/batches with api-key and api-version, lines naming deployments', async () => {
    const client = azureClient();
    const file = await client.files.create({
      file: await toFile(Buffer.from(`${azureLine('a-1', 'gpt-4o-mini')}\n`), 'input.jsonl'),
      purpose: 'batch',
    });
    const batch = await client.batches.create({
      input_file_id: file.id,
      endpoint: '/chat/completions' as '/v1/chat/completions',
      completion_window: '24h',
    });
    const done = await settleBatch(client, batch.id);
    expect(done.status).toBe('completed');
    const [line] = parseJsonl(await (await client.files.content(done.output_file_id ?? '')).text());
    // The answer names the model the deployment serves, not the deployment.
    expect(line).toMatchObject({
      custom_id: 'a-1',
      response: { status_code: 200, body: { model: 'gpt-4o-mini-2024-07-18' } },
    });
  });

  it('fails a batch whose line names no global-batch deployment', async () => {
    const client = azureClient();
    const file = await client.files.create({
      file: await toFile(
        Buffer.from(`${azureLine('a-2', 'gpt-4o-mini-standard')}\n`),
        'input.jsonl',
      ),
      purpose: 'batch',
    });
    const batch = await client.batches.create({
      input_file_id: file.id,
      endpoint: '/chat/completions' as '/v1/chat/completions',
      completion_window: '24h',
    });
    const failed = await settleBatch(client, batch.id);
    expect(failed.status).toBe('failed');
    expect(failed.errors?.data?.[0]).toMatchObject({ code: 'model_not_found', line: 1 });
  });

  it("refuses OpenAI's /v1 endpoint names, a missing or unknown api-version, and a bearer key", async () => {
    const client = azureClient();
    const file = await client.files.create({
      file: await toFile(Buffer.from(`${azureLine('a-3', 'gpt-4o-mini')}\n`), 'input.jsonl'),
      purpose: 'batch',
    });
    await expect(
      client.batches.create({
        input_file_id: file.id,
        endpoint: '/v1/chat/completions',
        completion_window: '24h',
      }),
    ).rejects.toMatchObject({ status: 400, param: 'endpoint' });
    await expect(azureClient('2023-05-15').files.list()).rejects.toMatchObject({ status: 404 });
    const bearer = new OpenAI({
      apiKey: API_KEY,
      baseURL: `${sim.profileBaseUrls['azure-openai']}/openai`,
      maxRetries: 0,
      defaultQuery: { 'api-version': '2024-10-21' },
    });
    await expect(bearer.files.list()).rejects.toMatchObject({ status: 401 });
    const noVersion = new OpenAI({
      apiKey: API_KEY,
      baseURL: `${sim.profileBaseUrls['azure-openai']}/openai`,
      maxRetries: 0,
      defaultHeaders: { 'api-key': API_KEY },
    });
    await expect(noVersion.files.list()).rejects.toMatchObject({ status: 404 });
  });

  it('answers synchronous calls at /openai/deployments/{deployment}/chat/completions', async () => {
    const completion = await azureClient().chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hello' }],
    });
    expect(completion.choices[0]?.message.role).toBe('assistant');
  });
});
