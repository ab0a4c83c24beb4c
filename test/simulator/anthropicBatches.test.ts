import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSimulator, startSimulator } from '../../local/simulator/startSimulator.js';
import { API_KEY, anthropicClient, collect, messageParams, waitFor } from './simulatorTestKit.js';

let sim: RunningSimulator;
let client: Anthropic;

beforeAll(async () => {
  sim = await startSimulator({
    processingMs: 150,
    seed: 7,
    apiKeys: [API_KEY],
    limits: { anthropicMaxBodyBytes: 200_000, anthropicMaxRequests: 50 },
  });
  client = anthropicClient(sim);
});

afterAll(async () => {
  await sim.stop();
});

const ended = (id: string) =>
  waitFor(
    () => client.messages.batches.retrieve(id),
    (batch) => batch.processing_status === 'ended',
  );

describe('Anthropic Message Batches', () => {
  it('creates a batch that reports only processing counts until it ends', async () => {
    const created = await client.messages.batches.create(
      {
        requests: [
          { custom_id: 'one', params: messageParams('first question') },
          { custom_id: 'two', params: messageParams('second question') },
        ],
      },
      // Long enough that the early results() call below surely runs before the end.
      { headers: { 'x-sim-faults': JSON.stringify({ processingMs: 600 }) } },
    );
    expect(created.id).toMatch(/^msgbatch_[A-Za-z0-9]{24}$/);
    expect(created).toMatchObject({
      type: 'message_batch',
      processing_status: 'in_progress',
      request_counts: { processing: 2, succeeded: 0, errored: 0, canceled: 0, expired: 0 },
      ended_at: null,
      cancel_initiated_at: null,
      archived_at: null,
      results_url: null,
    });
    const createdAt = Date.parse(created.created_at);
    expect(Date.parse(created.expires_at) - createdAt).toBe(24 * 3600 * 1000);
    expect(created.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);

    await expect(client.messages.batches.results(created.id)).rejects.toThrow(/results_url/);

    const done = await ended(created.id);
    expect(done.request_counts).toEqual({
      processing: 0,
      succeeded: 2,
      errored: 0,
      canceled: 0,
      expired: 0,
    });
    expect(done.ended_at).not.toBeNull();
    expect(done.results_url).toBe(`${sim.url}/v1/messages/batches/${created.id}/results`);
  });

  it('returns well-formed succeeded messages with cache usage where cache_control is used', async () => {
    const sharedContext = 'Background material for every request. '.repeat(200);
    const requests = Array.from({ length: 12 }, (_, i) => ({
      custom_id: `doc-${i}`,
      params: messageParams(`Summarise section ${i}`, {
        system: [
          {
            type: 'text',
            text: sharedContext,
            cache_control: { type: 'ephemeral', ttl: i % 2 === 0 ? '1h' : '5m' },
          },
        ],
      }),
    }));
    requests.push({ custom_id: 'plain', params: messageParams('No cache here') });
    const batch = await client.messages.batches.create({ requests });
    await ended(batch.id);
    const results = await collect(await client.messages.batches.results(batch.id));
    expect(results.map((r) => r.custom_id).sort()).toEqual(requests.map((r) => r.custom_id).sort());
    let reads = 0;
    let writes = 0;
    for (const line of results) {
      if (line.result.type !== 'succeeded') throw new Error(`unexpected ${line.result.type}`);
      const message = line.result.message;
      expect(message.id).toMatch(/^msg_/);
      expect(message).toMatchObject({
        type: 'message',
        role: 'assistant',
        model: 'claude-sonnet-4-6',
      });
      expect(message.content[0]?.type).toBe('text');
      expect(['end_turn', 'max_tokens']).toContain(message.stop_reason);
      const usage = message.usage;
      expect(usage.service_tier).toBe('batch');
      expect(usage.output_tokens).toBeGreaterThan(0);
      const creation = usage.cache_creation;
      expect(usage.cache_creation_input_tokens).toBe(
        (creation?.ephemeral_5m_input_tokens ?? 0) + (creation?.ephemeral_1h_input_tokens ?? 0),
      );
      if (line.custom_id === 'plain') {
        expect(usage.cache_read_input_tokens).toBe(0);
        expect(usage.cache_creation_input_tokens).toBe(0);
        expect(usage.input_tokens).toBeLessThan(50);
        continue;
      }
      const cached =
        (usage.cache_read_input_tokens ?? 0) + (usage.cache_creation_input_tokens ?? 0);
      expect(cached).toBeGreaterThan(1500);
      if ((usage.cache_read_input_tokens ?? 0) > 0) reads += 1;
      else writes += 1;
      const index = Number(line.custom_id.slice(4));
      if ((usage.cache_creation_input_tokens ?? 0) > 0) {
        const ttlField =
          index % 2 === 0 ? 'ephemeral_1h_input_tokens' : 'ephemeral_5m_input_tokens';
        expect(creation?.[ttlField]).toBe(usage.cache_creation_input_tokens);
      }
    }
    expect(reads).toBeGreaterThan(0);
    expect(reads + writes).toBe(12);
  });

  it('reports per-request problems as errored lines once the batch ends', async () => {
    const batch = await client.messages.batches.create({
      requests: [
        { custom_id: 'ok', params: messageParams('fine') },
        {
          custom_id: 'no-max-tokens',
          params: { model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'x' }] },
        },
        { custom_id: 'no-model', params: { max_tokens: 10, messages: [] } },
        { custom_id: 'bad-model', params: messageParams('x', { model: 'gpt-4o' }) },
        // In the Claude id family, but no such model: the real API knows its models.
        { custom_id: 'no-such-claude', params: messageParams('x', { model: 'claude-mystery-9' }) },
        {
          custom_id: 'too-many-tokens',
          params: messageParams('x', { model: 'claude-opus-4-1-20250805', max_tokens: 32_001 }),
        },
        { custom_id: 'bad-messages', params: messageParams('x', { messages: 'hello' }) },
        // API version 2026-10-21 (what SDK 1.x sends) removed temperature.
        { custom_id: 'temperature', params: messageParams('x', { temperature: 0.5 }) },
        { custom_id: 'forced__sim_overloaded_error', params: messageParams('x') },
      ] as Anthropic.Messages.Batches.BatchCreateParams['requests'],
    });
    const done = await ended(batch.id);
    expect(done.request_counts).toMatchObject({ succeeded: 1, errored: 8 });
    const results = await collect(await client.messages.batches.results(batch.id));
    const byId = new Map(results.map((r) => [r.custom_id, r.result]));
    const errorOf = (id: string) => {
      const result = byId.get(id);
      if (result?.type !== 'errored') throw new Error(`${id} is ${result?.type}`);
      expect(result.error.type).toBe('error');
      return result.error.error;
    };
    expect(errorOf('no-max-tokens')).toEqual({
      type: 'invalid_request_error',
      message: 'max_tokens: Field required',
    });
    expect(errorOf('no-model').type).toBe('invalid_request_error');
    expect(errorOf('bad-model')).toEqual({ type: 'not_found_error', message: 'model: gpt-4o' });
    expect(errorOf('no-such-claude')).toEqual({
      type: 'not_found_error',
      message: 'model: claude-mystery-9',
    });
    expect(errorOf('too-many-tokens')).toEqual({
      type: 'invalid_request_error',
      message:
        'max_tokens: 32001 > 32000, which is the maximum allowed number of output tokens for claude-opus-4-1-20250805',
    });
    expect(errorOf('bad-messages').type).toBe('invalid_request_error');
    expect(errorOf('temperature').message).toContain('temperature');
    expect(errorOf('forced__sim_overloaded_error').type).toBe('overloaded_error');
    expect(byId.get('ok')?.type).toBe('succeeded');
  });

  it('rejects invalid create requests with 400 and 413', async () => {
    const create = (requests: unknown) =>
      client.messages.batches.create({
        requests: requests as Anthropic.Messages.Batches.BatchCreateParams['requests'],
      });
    const badId = await create([{ custom_id: 'has space', params: messageParams('x') }]).catch(
      (error: unknown) => error,
    );
    expect(badId).toBeInstanceOf(Anthropic.BadRequestError);
    const badIdError = badId as InstanceType<typeof Anthropic.BadRequestError>;
    expect(badIdError.error).toMatchObject({
      type: 'error',
      error: { type: 'invalid_request_error' },
    });
    expect((badIdError.error as { request_id: string }).request_id).toMatch(/^req_/);
    expect(badIdError.message).toContain('custom_id');

    await expect(
      create([{ custom_id: 'x'.repeat(65), params: messageParams('x') }]),
    ).rejects.toThrow(Anthropic.BadRequestError);
    await expect(
      create([
        { custom_id: 'dup', params: messageParams('a') },
        { custom_id: 'dup', params: messageParams('b') },
      ]),
    ).rejects.toThrow(/Duplicate custom_id/);
    await expect(create([])).rejects.toThrow(Anthropic.BadRequestError);
    await expect(
      create([{ custom_id: 'streamed', params: messageParams('x', { stream: true }) }]),
    ).rejects.toThrow(/stream/);

    const tooBig = await create([
      { custom_id: 'big', params: messageParams('x'.repeat(300_000)) },
    ]).catch((error: unknown) => error);
    expect(tooBig).toBeInstanceOf(Anthropic.APIError);
    expect((tooBig as InstanceType<typeof Anthropic.APIError>).status).toBe(413);
    expect((tooBig as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({
      error: { type: 'request_too_large' },
    });

    const tooMany = Array.from({ length: 51 }, (_, i) => ({
      custom_id: `r${i}`,
      params: { model: 'claude-sonnet-4-6', max_tokens: 1, messages: [] },
    }));
    await expect(create(tooMany)).rejects.toMatchObject({ status: 413 });
  });

  it('pages through batches newest first with after_id, before_id and auto-pagination', async () => {
    const fresh = await startSimulator({ processingMs: 50 });
    try {
      const c = anthropicClient(fresh);
      const ids: string[] = [];
      for (let i = 0; i < 7; i += 1) {
        const batch = await c.messages.batches.create({
          requests: [{ custom_id: `b${i}`, params: messageParams(`batch ${i}`) }],
        });
        ids.push(batch.id);
      }
      const newestFirst = [...ids].reverse();

      const first = await c.messages.batches.list({ limit: 3 });
      expect(first.data.map((b) => b.id)).toEqual(newestFirst.slice(0, 3));
      expect(first.has_more).toBe(true);
      expect(first.first_id).toBe(newestFirst[0]);
      expect(first.last_id).toBe(newestFirst[2]);

      const second = await c.messages.batches.list({ limit: 3, after_id: first.last_id ?? '' });
      expect(second.data.map((b) => b.id)).toEqual(newestFirst.slice(3, 6));
      const last = await c.messages.batches.list({ limit: 3, after_id: second.last_id ?? '' });
      expect(last.data.map((b) => b.id)).toEqual(newestFirst.slice(6));
      expect(last.has_more).toBe(false);

      const back = await c.messages.batches.list({ limit: 2, before_id: newestFirst[4] ?? '' });
      expect(back.data.map((b) => b.id)).toEqual(newestFirst.slice(2, 4));
      expect(back.has_more).toBe(true);

      // The SDK follows after_id forwards, and before_id backwards when the first call used it.
      const all: string[] = [];
      for await (const batch of c.messages.batches.list({ limit: 2 })) all.push(batch.id);
      expect(all).toEqual(newestFirst);
      const backwards: string[] = [];
      for await (const batch of c.messages.batches.list({
        limit: 2,
        before_id: newestFirst[6] ?? '',
      })) {
        backwards.push(batch.id);
      }
      expect(backwards.sort()).toEqual(newestFirst.slice(0, 6).sort());

      const defaults = await c.messages.batches.list();
      expect(defaults.data).toHaveLength(7);
      await expect(c.messages.batches.list({ limit: 1001 })).rejects.toThrow(
        Anthropic.BadRequestError,
      );
    } finally {
      await fresh.stop();
    }
  });

  it('cancels a batch: canceling, then ended with canceled requests', async () => {
    const slow = await startSimulator({ processingMs: 4000, seed: 3 });
    try {
      const c = anthropicClient(slow);
      const batch = await c.messages.batches.create({
        requests: Array.from({ length: 20 }, (_, i) => ({
          custom_id: `c${i}`,
          params: messageParams(`q${i}`),
        })),
      });
      const canceling = await c.messages.batches.cancel(batch.id);
      expect(canceling.processing_status).toBe('canceling');
      expect(canceling.cancel_initiated_at).not.toBeNull();
      await expect(c.messages.batches.delete(batch.id)).rejects.toThrow(Anthropic.BadRequestError);
      const done = await waitFor(
        () => c.messages.batches.retrieve(batch.id),
        (b) => b.processing_status === 'ended',
        10_000,
      );
      expect(done.request_counts.canceled).toBe(20);
      expect(done.request_counts.processing).toBe(0);
      const results = await collect(await c.messages.batches.results(batch.id));
      expect(new Set(results.map((r) => r.result.type))).toEqual(new Set(['canceled']));
      await expect(c.messages.batches.cancel(batch.id)).rejects.toThrow(Anthropic.BadRequestError);

      const deleted = await c.messages.batches.delete(batch.id);
      expect(deleted).toEqual({ id: batch.id, type: 'message_batch_deleted' });
      await expect(c.messages.batches.retrieve(batch.id)).rejects.toThrow(Anthropic.NotFoundError);
      expect((await c.messages.batches.list()).data.map((b) => b.id)).not.toContain(batch.id);
    } finally {
      await slow.stop();
    }
  });

  it('accepts x-api-key with version 2023-06-01 and ignores unknown query params', async () => {
    const legacy = new Anthropic({
      apiKey: null,
      baseURL: sim.anthropicBaseUrl,
      defaultHeaders: { 'x-api-key': API_KEY, 'anthropic-version': '2023-06-01' },
    });
    const batch = await legacy.messages.batches.create(
      { requests: [{ custom_id: 'legacy', params: messageParams('hi') }] },
      { query: { beta: 'true' } },
    );
    const fetched = await legacy.messages.batches.retrieve(
      batch.id,
      {},
      { query: { beta: 'true' } },
    );
    expect(fetched.id).toBe(batch.id);

    const wrongKey = new Anthropic({
      apiKey: 'nope',
      baseURL: sim.anthropicBaseUrl,
      maxRetries: 0,
    });
    await expect(wrongKey.messages.batches.list()).rejects.toThrow(Anthropic.AuthenticationError);
    const badVersion = new Anthropic({
      apiKey: API_KEY,
      baseURL: sim.anthropicBaseUrl,
      defaultHeaders: { 'anthropic-version': '2020-01-01' },
    });
    await expect(badVersion.messages.batches.list()).rejects.toThrow(/anthropic-version/);
    await expect(client.messages.batches.retrieve('msgbatch_missing')).rejects.toThrow(
      Anthropic.NotFoundError,
    );
  });
});
