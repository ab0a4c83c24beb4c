import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSimulator, startSimulator } from '../../local/simulator/startSimulator.js';
import {
  anthropicClient,
  chatLine,
  collect,
  messageParams,
  openaiClient,
  parseJsonl,
  uploadJsonl,
  waitFor,
} from './simulatorTestKit.js';

let sim: RunningSimulator;
let anthropic: Anthropic;
let openai: OpenAI;

beforeAll(async () => {
  sim = await startSimulator({ processingMs: 200, seed: 42 });
  anthropic = anthropicClient(sim);
  openai = openaiClient(sim);
});

afterAll(async () => {
  await sim.stop();
});

const requests = (n: number, prefix = 'r') =>
  Array.from({ length: n }, (_, i) => ({
    custom_id: `${prefix}${i}`,
    params: messageParams(`question number ${i}`),
  }));

const endedBatch = (client: Anthropic, id: string) =>
  waitFor(
    () => client.messages.batches.retrieve(id),
    (b) => b.processing_status === 'ended',
  );

const terminalBatch = (client: OpenAI, id: string) =>
  waitFor(
    () => client.batches.retrieve(id),
    (b) => ['completed', 'failed', 'expired', 'cancelled'].includes(b.status),
  );

const withFaults = (faults: object) => ({ headers: { 'x-sim-faults': JSON.stringify(faults) } });

describe('HTTP fault injection', () => {
  it("injects 429 and 5xx that both SDKs' default retries recover from", async () => {
    const flaky = await startSimulator({
      processingMs: 50,
      seed: 9,
      faults: { http: { rate: 0.5, statuses: [429, 500, 503, 529], retryAfterMs: 5 } },
    });
    try {
      const a = anthropicClient(flaky);
      const o = openaiClient(flaky);
      const batch = await a.messages.batches.create({ requests: requests(3) });
      await endedBatch(a, batch.id);
      expect(await collect(await a.messages.batches.results(batch.id))).toHaveLength(3);
      for (let i = 0; i < 10; i += 1) await a.messages.batches.list({ limit: 1 });
      const file = await uploadJsonl(o, [chatLine('a', 'x'), chatLine('b', 'y')]);
      const ob = await o.batches.create({
        input_file_id: file.id,
        endpoint: '/v1/chat/completions',
        completion_window: '24h',
      });
      const done = await terminalBatch(o, ob.id);
      expect(done.status).toBe('completed');
      expect(
        parseJsonl(await (await o.files.content(done.output_file_id ?? '')).text()),
      ).toHaveLength(2);
      expect(flaky.stats().http.injectedErrors).toBeGreaterThan(5);
    } finally {
      await flaky.stop();
    }
  });

  it('sends retry-after headers and can outlast the retries when asked to', async () => {
    const hostile = await startSimulator({
      faults: { http: { rate: 1, statuses: [429], retryAfterMs: 1500, maxPerRequest: 10 } },
    });
    try {
      const error = await anthropicClient(hostile, 0)
        .messages.batches.list()
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Anthropic.RateLimitError);
      const headers = (error as InstanceType<typeof Anthropic.RateLimitError>).headers;
      expect(headers.get('retry-after-ms')).toBe('1500');
      expect(headers.get('retry-after')).toBe('2');
      hostile.setFaults({
        http: {
          rate: 1,
          statuses: [503],
          retryAfterMs: 5,
          maxPerRequest: 10,
          pathPattern: '^/v1/batches',
        },
      });
      const started = Date.now();
      await expect(openaiClient(hostile, 2).batches.list()).rejects.toThrow(
        OpenAI.InternalServerError,
      );
      expect(Date.now() - started).toBeLessThan(1000);
      // Paths outside the pattern are untouched.
      expect((await openaiClient(hostile, 0).files.list()).data).toEqual([]);
      expect(hostile.stats().http.injectedErrors).toBe(4);
    } finally {
      await hostile.stop();
    }
  });
});

describe('per-item faults', () => {
  it('fails the configured fraction of requests with each error type, deterministically', async () => {
    const faults = {
      itemErrorRates: { api_error: 0.2, overloaded_error: 0.1, rate_limit_error: 0.1 },
    };
    const batch = await anthropic.messages.batches.create(
      { requests: requests(300) },
      withFaults(faults),
    );
    const done = await endedBatch(anthropic, batch.id);
    expect(done.request_counts.errored).toBeGreaterThan(90);
    expect(done.request_counts.errored).toBeLessThan(150);
    const results = await collect(await anthropic.messages.batches.results(batch.id));
    const byType = new Map<string, number>();
    for (const r of results) {
      const key = r.result.type === 'errored' ? r.result.error.error.type : r.result.type;
      byType.set(key, (byType.get(key) ?? 0) + 1);
    }
    expect(byType.get('api_error')).toBeGreaterThan(35);
    expect(byType.get('overloaded_error')).toBeGreaterThan(15);
    expect(byType.get('rate_limit_error')).toBeGreaterThan(15);
    expect(byType.get('succeeded')).toBe(done.request_counts.succeeded);

    // Same seed, same inputs: same outcomes and the same bytes.
    const twin = await startSimulator({ processingMs: 200, seed: 42 });
    try {
      const again = await anthropicClient(twin).messages.batches.create(
        { requests: requests(300) },
        withFaults(faults),
      );
      expect(again.id).toBe(batch.id);
      await endedBatch(anthropicClient(twin), again.id);
      const twinResults = await collect(
        await anthropicClient(twin).messages.batches.results(again.id),
      );
      expect(twinResults).toEqual(results);
    } finally {
      await twin.stop();
    }
  });

  it('sets OpenAI per-batch faults through sim_* metadata', async () => {
    const file = await uploadJsonl(
      openai,
      Array.from({ length: 100 }, (_, i) => chatLine(`m${i}`, `q${i}`)),
    );
    const batch = await openai.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
      metadata: { sim_error_api_error: '0.3', sim_faults: '{"shuffleResults":false}' },
    });
    const done = await terminalBatch(openai, batch.id);
    expect(done.request_counts?.failed).toBeGreaterThan(15);
    expect(done.request_counts?.completed).toBe(100 - (done.request_counts?.failed ?? 0));
    const output = parseJsonl(await (await openai.files.content(done.output_file_id ?? '')).text());
    const ids = output.map((l) => Number(String(l.custom_id).slice(1)));
    expect(ids).toEqual([...ids].sort((x, y) => x - y));
    await expect(
      openai.batches.create({
        input_file_id: file.id,
        endpoint: '/v1/chat/completions',
        completion_window: '24h',
        metadata: { sim_bogus: '1' },
      }),
    ).rejects.toThrow(OpenAI.BadRequestError);
  });
});

describe('expiry, cancel races and time', () => {
  it('expires the unfinished part of an Anthropic batch', async () => {
    const batch = await anthropic.messages.batches.create(
      { requests: requests(60) },
      withFaults({ expireAtFraction: 0.5 }),
    );
    expect(Date.parse(batch.expires_at) - Date.parse(batch.created_at)).toBe(100);
    const done = await endedBatch(anthropic, batch.id);
    const { succeeded, expired } = done.request_counts;
    expect(succeeded).toBeGreaterThan(10);
    expect(expired).toBeGreaterThan(10);
    expect(succeeded + expired).toBe(60);
    const results = await collect(await anthropic.messages.batches.results(batch.id));
    expect(results.filter((r) => r.result.type === 'expired')).toHaveLength(expired);
  });

  it('expires the unfinished part of an OpenAI batch into the error file', async () => {
    const file = await uploadJsonl(
      openai,
      Array.from({ length: 40 }, (_, i) => chatLine(`x${i}`, `q${i}`)),
    );
    const batch = await openai.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
      metadata: { sim_expire_at_fraction: '0.5' },
    });
    const done = await terminalBatch(openai, batch.id);
    expect(done.status).toBe('expired');
    expect(done.expired_at).not.toBeNull();
    const completed = parseJsonl(
      await (await openai.files.content(done.output_file_id ?? '')).text(),
    );
    const failed = parseJsonl(await (await openai.files.content(done.error_file_id ?? '')).text());
    expect(completed.length).toBeGreaterThan(5);
    expect(failed.length).toBeGreaterThan(5);
    expect(completed.length + failed.length).toBe(40);
    expect(done.request_counts).toEqual({
      total: 40,
      completed: completed.length,
      failed: failed.length,
    });
    for (const line of failed) {
      expect(line).toMatchObject({ response: null, error: { code: 'batch_expired' } });
    }
  });

  it('runs a simulated day in well under a second with timeScale and expiryMs', async () => {
    const fast = await startSimulator({
      processingMs: 30 * 3600 * 1000,
      expiryMs: 24 * 3600 * 1000,
      timeScale: 200_000,
    });
    try {
      const a = anthropicClient(fast);
      const started = Date.now();
      const batch = await a.messages.batches.create({ requests: requests(50) });
      const done = await endedBatch(a, batch.id);
      expect(Date.now() - started).toBeLessThan(3000);
      expect(Date.parse(done.ended_at ?? '')).toBe(Date.parse(done.expires_at));
      expect(done.request_counts.expired).toBeGreaterThan(0);
      expect(done.request_counts.succeeded).toBeGreaterThan(done.request_counts.expired);
    } finally {
      await fast.stop();
    }
  });

  it('lets completion win a cancel race on both APIs', async () => {
    const batch = await anthropic.messages.batches.create(
      { requests: requests(10) },
      // A longer processing time so the cancel surely lands before the natural end.
      withFaults({ cancelRace: true, processingMs: 1000 }),
    );
    const canceling = await anthropic.messages.batches.cancel(batch.id);
    expect(canceling.processing_status).toBe('canceling');
    const done = await endedBatch(anthropic, batch.id);
    expect(done.cancel_initiated_at).not.toBeNull();
    expect(done.request_counts).toMatchObject({ succeeded: 10, canceled: 0 });

    const file = await uploadJsonl(openai, [chatLine('a', 'x'), chatLine('b', 'y')]);
    const ob = await openai.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
      metadata: { sim_cancel_race: 'true', sim_processing_ms: '1000' },
    });
    await waitFor(
      () => openai.batches.retrieve(ob.id),
      (b) => b.status === 'in_progress',
    );
    expect((await openai.batches.cancel(ob.id)).status).toBe('cancelling');
    const finished = await terminalBatch(openai, ob.id);
    expect(finished.status).toBe('completed');
    expect(finished.cancelling_at).not.toBeNull();
    expect(finished.request_counts).toEqual({ total: 2, completed: 2, failed: 0 });
  });
});

describe('results downloads', () => {
  it('shuffles results by default and keeps input order on request', async () => {
    const shuffled = await anthropic.messages.batches.create({ requests: requests(30, 's') });
    const ordered = await anthropic.messages.batches.create(
      { requests: requests(30, 'o') },
      withFaults({ shuffleResults: false }),
    );
    await endedBatch(anthropic, ordered.id);
    const inputOrder = (prefix: string) => requests(30, prefix).map((r) => r.custom_id);
    const shuffledIds = (await collect(await anthropic.messages.batches.results(shuffled.id))).map(
      (r) => r.custom_id,
    );
    expect(shuffledIds).not.toEqual(inputOrder('s'));
    expect([...shuffledIds].sort()).toEqual([...inputOrder('s')].sort());
    const orderedIds = (await collect(await anthropic.messages.batches.results(ordered.id))).map(
      (r) => r.custom_id,
    );
    expect(orderedIds).toEqual(inputOrder('o'));
  });

  it('serves slow downloads', async () => {
    const batch = await anthropic.messages.batches.create(
      { requests: requests(130) },
      withFaults({ resultsDelayMs: 100 }),
    );
    await endedBatch(anthropic, batch.id);
    const started = Date.now();
    const results = await collect(await anthropic.messages.batches.results(batch.id));
    expect(results).toHaveLength(130);
    // One pause before the first byte and one after each full 64-line chunk.
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('truncates the first downloads, then serves complete ones', async () => {
    const batch = await anthropic.messages.batches.create(
      { requests: requests(20) },
      withFaults({ truncateResults: { afterLines: 5, times: 1 } }),
    );
    await endedBatch(anthropic, batch.id);
    const partial: unknown[] = [];
    await expect(
      (async () => {
        for await (const line of await anthropic.messages.batches.results(batch.id)) {
          partial.push(line);
        }
      })(),
    ).rejects.toThrow();
    expect(partial.length).toBeLessThanOrEqual(5);
    expect(await collect(await anthropic.messages.batches.results(batch.id))).toHaveLength(20);

    const file = await uploadJsonl(openai, [
      chatLine('a', 'x'),
      chatLine('b', 'y'),
      chatLine('c', 'z'),
    ]);
    const ob = await openai.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
      metadata: { sim_truncate_results_after_lines: '1' },
    });
    const done = await terminalBatch(openai, ob.id);
    await expect((await openai.files.content(done.output_file_id ?? '')).text()).rejects.toThrow();
    const full = await (await openai.files.content(done.output_file_id ?? '')).text();
    expect(parseJsonl(full)).toHaveLength(3);
  });

  it('rejects a malformed x-sim-faults header', async () => {
    await expect(
      anthropic.messages.batches.create({ requests: requests(1) }, withFaults({ nope: 1 })),
    ).rejects.toThrow(Anthropic.BadRequestError);
  });
});

describe('persistence', () => {
  it('keeps batches and files across a restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'batchlane-sim-'));
    try {
      const first = await startSimulator({ processingMs: 100, persistDir: dir, seed: 4 });
      const a = anthropicClient(first);
      const o = openaiClient(first);
      const batch = await a.messages.batches.create({ requests: requests(4) });
      const file = await uploadJsonl(o, [chatLine('p1', 'x'), chatLine('p2', 'y')]);
      const ob = await o.batches.create({
        input_file_id: file.id,
        endpoint: '/v1/chat/completions',
        completion_window: '24h',
      });
      await first.stop();

      const second = await startSimulator({ processingMs: 100, persistDir: dir, seed: 4 });
      try {
        const a2 = anthropicClient(second);
        const o2 = openaiClient(second);
        const done = await endedBatch(a2, batch.id);
        expect(done.request_counts.succeeded).toBe(4);
        expect(await collect(await a2.messages.batches.results(batch.id))).toHaveLength(4);
        const finished = await terminalBatch(o2, ob.id);
        expect(finished.status).toBe('completed');
        const text = await (await o2.files.content(finished.output_file_id ?? '')).text();
        expect(
          parseJsonl(text)
            .map((l) => l.custom_id)
            .sort(),
        ).toEqual(['p1', 'p2']);
        expect((await (await o2.files.content(file.id)).text()).split('\n')[0]).toBe(
          chatLine('p1', 'x'),
        );
        // New ids continue the sequence instead of colliding with restored ones.
        const newer = await a2.messages.batches.create({ requests: requests(1) });
        expect(newer.id).not.toBe(batch.id);
        expect(
          second.stats().anthropic.batches.ended + second.stats().anthropic.batches.in_progress,
        ).toBe(2);
      } finally {
        await second.stop();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
