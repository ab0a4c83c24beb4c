import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSimulator, startSimulator } from '../../local/simulator/startSimulator.js';
import { ACME_MODELS, ACME_PROFILE } from '../support/acmeProfile.js';
import {
  API_KEY,
  chatLine,
  parseJsonl,
  profileClient,
  settleBatch,
  uploadJsonl,
} from './simulatorTestKit.js';

/*
 * A provider a deployment defines as a profile of its own (`acme`), served as an
 * OpenAI-faithful clone under `/profiles/acme/v1`, through the `openai` SDK as batchlane's
 * profile adapters drive it.
 */

let sim: RunningSimulator;

beforeAll(async () => {
  sim = await startSimulator({
    processingMs: 200,
    seed: 11,
    apiKeys: [API_KEY],
    profiles: [
      { id: ACME_PROFILE.id, models: ACME_MODELS },
      { id: 'fireworks', models: [] },
    ],
  });
});

afterAll(async () => {
  await sim.stop();
});

const embeddingLine = (customId: string, model = 'acme-embed-1') =>
  JSON.stringify({
    custom_id: customId,
    method: 'POST',
    url: '/v1/embeddings',
    body: { model, input: 'hello' },
  });

describe("a deployment's own profile", () => {
  it('is served at /profiles/<id>/v1 with OpenAI Files and Batches, as the SDK expects', async () => {
    expect(sim.profileBaseUrls['acme']).toBe(`${sim.url}/profiles/acme/v1`);
    const client = profileClient(sim, 'acme');
    const file = await uploadJsonl(client, [
      chatLine('a-1', 'one', 'acme-chat-1'),
      chatLine('a-2', 'two', 'acme-chat-1'),
    ]);
    expect(file.purpose).toBe('batch');
    const batch = await client.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
      metadata: { batchlane_batch_id: 'b-acme' },
    });
    expect(batch).toMatchObject({
      object: 'batch',
      status: 'validating',
      endpoint: '/v1/chat/completions',
    });
    expect((batch.expires_at ?? 0) - batch.created_at).toBe(24 * 3600);

    const done = await settleBatch(client, batch.id);
    expect(done.status).toBe('completed');
    expect(done.request_counts).toEqual({ total: 2, completed: 2, failed: 0 });
    expect(done.metadata).toEqual({ batchlane_batch_id: 'b-acme' });
    const lines = parseJsonl(await (await client.files.content(done.output_file_id ?? '')).text());
    expect(lines.map((line) => line.custom_id).sort()).toEqual(['a-1', 'a-2']);
    const response = lines[0]?.response as { status_code: number; body: Record<string, unknown> };
    expect(response.status_code).toBe(200);
    expect(response.body).toMatchObject({ object: 'chat.completion' });
    expect(response.body['usage']).toMatchObject({ prompt_tokens: expect.any(Number) });
  });

  it('answers synchronous calls at the same base URL (the realtime lane)', async () => {
    const client = profileClient(sim, 'acme');
    // A dated snapshot of a model it serves is served too.
    const completion = await client.chat.completions.create({
      model: 'acme-chat-1-2026-01-01',
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 20,
    });
    expect(completion.object).toBe('chat.completion');
    expect(completion.usage?.completion_tokens).toBeGreaterThan(0);
  });

  it('serves only its own models: another is a line error in batch, a 404 when called', async () => {
    const client = profileClient(sim, 'acme');
    // One model per file, as OpenAI's: a file of a model it does not serve fails line by line.
    const file = await uploadJsonl(client, [
      chatLine('m-1', 'one', 'gpt-4o-mini'),
      chatLine('m-2', 'two', 'gpt-4o-mini'),
    ]);
    const batch = await client.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    const done = await settleBatch(client, batch.id);
    expect(done.request_counts).toEqual({ total: 2, completed: 0, failed: 2 });
    const errors = parseJsonl(await (await client.files.content(done.error_file_id ?? '')).text());
    expect(errors.map((line) => line.custom_id).sort()).toEqual(['m-1', 'm-2']);
    expect(errors[0]).toMatchObject({
      response: { status_code: 404, body: { error: { code: 'model_not_found' } } },
    });
    await expect(
      client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'x' }],
      }),
    ).rejects.toMatchObject({ status: 404, code: 'model_not_found' });
    // A profile started with no models serves any.
    const any = await profileClient(sim, 'fireworks').chat.completions.create({
      model: 'accounts/fireworks/models/llama-v3p1-8b-instruct',
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(any.object).toBe('chat.completion');
  });

  it("takes OpenAI's endpoints and its 24h window only", async () => {
    const client = profileClient(sim, 'acme');
    const file = await uploadJsonl(client, [embeddingLine('e-1')]);
    const embeddings = await client.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/embeddings',
      completion_window: '24h',
    });
    expect((await settleBatch(client, embeddings.id)).status).toBe('completed');
    await expect(
      client.batches.create({
        input_file_id: file.id,
        endpoint: '/v1/embeddings',
        completion_window: '48h' as '24h',
      }),
    ).rejects.toMatchObject({ status: 400, param: 'completion_window' });
  });

  it('keeps its files and batches apart from OpenAI and other profiles', async () => {
    const acme = profileClient(sim, 'acme');
    const file = await uploadJsonl(acme, [chatLine('i-1', 'one', 'acme-chat-1')]);
    const openai = new OpenAI({ apiKey: API_KEY, baseURL: sim.openaiBaseUrl, maxRetries: 0 });
    await expect(openai.files.retrieve(file.id)).rejects.toMatchObject({ status: 404 });
    await expect(profileClient(sim, 'fireworks').files.retrieve(file.id)).rejects.toMatchObject({
      status: 404,
    });
    expect((await acme.files.retrieve(file.id)).id).toBe(file.id);
  });

  it('is not served for an id the simulator was not started with', async () => {
    const stranger = new OpenAI({
      apiKey: API_KEY,
      baseURL: `${sim.url}/profiles/stranger/v1`,
      maxRetries: 0,
    });
    await expect(stranger.batches.list()).rejects.toMatchObject({ status: 404 });
    await expect(
      new OpenAI({
        apiKey: 'wrong',
        baseURL: sim.profileBaseUrls['acme'],
        maxRetries: 0,
      }).batches.list(),
    ).rejects.toMatchObject({ status: 401 });
  });
});
