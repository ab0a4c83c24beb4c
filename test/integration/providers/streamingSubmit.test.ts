import { Readable } from 'node:stream';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSimulator, startSimulator } from '../../../local/simulator/startSimulator.js';
import { AnthropicBatchProvider } from '../../../shared/adapters/providers/AnthropicBatchProvider.js';
import { OpenAIBatchProvider } from '../../../shared/adapters/providers/OpenAIBatchProvider.js';
import type { ProviderEndpoint } from '../../../shared/contract/providers.js';
import { InvalidInputError, UnavailableError } from '../../../shared/domain/errors.js';
import { formatProviderLine } from '../../../shared/domain/formatProviderLine.js';
import type { SubmitBatchInput } from '../../../shared/ports/BatchProvider.js';
import { API_KEY, readLines, waitForEnded } from './providerTestKit.js';

/**
 * Submissions large enough to be streamed (the adapters send bodies up to 4 MiB whole), fed
 * by generator-backed inputs that record, for every time they are opened, how far the input
 * had been read ahead of what the HTTP client had taken of the request body.
 */

const MiB = 1024 * 1024;
const INPUT_CHUNK_CHARS = 64 * 1024;

let sim: RunningSimulator;
/** A second simulator whose Anthropic body limit is 1 MB, for a streamed 413. */
let smallSim: RunningSimulator;

beforeAll(async () => {
  sim = await startSimulator({ port: 0, processingMs: 300, seed: 21, apiKeys: [API_KEY] });
  smallSim = await startSimulator({
    port: 0,
    processingMs: 300,
    seed: 22,
    apiKeys: [API_KEY],
    limits: { anthropicMaxBodyBytes: 1_000_000 },
  });
});

afterEach(() => {
  sim.setFaults({});
});

afterAll(async () => {
  await sim.stop();
  await smallSim.stop();
});

/** The length of request `i`'s prompt: varied, so each request's own params can be checked. */
const promptChars = (i: number): number => 1900 + (i % 61);

const prompt = (id: string, i: number): string =>
  `${id} ${'lorem ipsum dolor sit amet '.repeat(80)}`.slice(0, promptChars(i));

const anthropicLine = (prefix: string) => (i: number) => {
  const id = `${prefix}-${i}`;
  return formatProviderLine('anthropic', '/v1/messages', id, {
    model: 'claude-sonnet-4-6',
    max_tokens: 16,
    messages: [{ role: 'user', content: prompt(id, i) }],
  });
};

const openaiLine = (prefix: string) => (i: number) => {
  const id = `${prefix}-${i}`;
  return formatProviderLine('openai', '/v1/chat/completions', id, {
    model: 'gpt-4o-mini',
    max_tokens: 16,
    messages: [{ role: 'user', content: prompt(id, i) }],
  });
};

/** What one opening of a generated input saw. */
interface OpenRecord {
  /** Bytes handed to the reader. */
  produced: number;
  /** The most bytes ever handed to the reader ahead of what the HTTP client had taken. */
  maxLead: number;
  finished: boolean;
}

interface GeneratedInput extends SubmitBatchInput {
  readonly opens: OpenRecord[];
  readonly jsonl: () => string;
}

/**
 * A submit input of `count` lines made by `makeLine`, produced on demand in 64 KiB chunks.
 * `sent` says how many request-body bytes the HTTP client has taken so far; `lineAt` can
 * replace a line for a given opening (0-based).
 */
const generatedInput = (
  batchId: string,
  endpoint: ProviderEndpoint,
  count: number,
  makeLine: (i: number) => string,
  options: {
    sent?: () => number;
    lineAt?: (open: number, i: number) => string | undefined;
    extraLinesAt?: (open: number) => number;
  } = {},
): GeneratedInput => {
  const opens: OpenRecord[] = [];
  let inputBytes = 0;
  for (let i = 0; i < count; i += 1) inputBytes += Buffer.byteLength(makeLine(i)) + 1;
  const lineFor = (open: number, i: number): string => options.lineAt?.(open, i) ?? makeLine(i);
  return {
    batchId,
    endpoint,
    requestCount: count,
    inputBytes,
    opens,
    jsonl: () => Array.from({ length: count }, (_, i) => `${makeLine(i)}\n`).join(''),
    openInput: async () => {
      const open = opens.length;
      const record: OpenRecord = { produced: 0, maxLead: 0, finished: false };
      opens.push(record);
      const total = count + (options.extraLinesAt?.(open) ?? 0);
      const emit = (text: string): Buffer => {
        const bytes = Buffer.from(text);
        record.produced += bytes.length;
        const sent = options.sent?.() ?? 0;
        record.maxLead = Math.max(record.maxLead, record.produced - sent);
        return bytes;
      };
      async function* chunks(): AsyncGenerator<Buffer> {
        let pending = '';
        for (let i = 0; i < total; i += 1) {
          pending += `${lineFor(open, i)}\n`;
          if (pending.length >= INPUT_CHUNK_CHARS) {
            yield emit(pending);
            pending = '';
          }
        }
        if (pending.length > 0) yield emit(pending);
        record.finished = true;
      }
      return Readable.from(chunks(), { objectMode: false });
    },
  };
};

/**
 * A `fetch` that counts the request-body bytes the HTTP client takes, as it takes them: a
 * streamed body is counted through a pass-through stream, a whole one when it is handed over.
 * It also notes the `redirect` mode of each streamed request: Node's fetch keeps a copy of
 * every chunk of a streamed body until the response unless redirects are errors (measured:
 * the whole 100 MB otherwise), which no reading-ahead check can see.
 */
const countingFetch = () => {
  const state = { sent: 0, streamedRedirectModes: [] as RequestInit['redirect'][] };
  const fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const body = init?.body;
    if (body instanceof ReadableStream) {
      state.streamedRedirectModes.push(init?.redirect);
      const counted = (body as ReadableStream<Uint8Array>).pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, controller) {
            state.sent += chunk.byteLength;
            controller.enqueue(chunk);
          },
        }),
      );
      return globalThis.fetch(input, { ...init, body: counted, duplex: 'half' } as RequestInit);
    }
    if (typeof body === 'string') state.sent += Buffer.byteLength(body);
    else if (body instanceof Uint8Array) state.sent += body.byteLength;
    else if (body instanceof FormData) {
      for (const value of body.values()) {
        state.sent += typeof value === 'string' ? Buffer.byteLength(value) : value.size;
      }
    }
    return globalThis.fetch(input, init);
  };
  return {
    fetch: fetch as typeof globalThis.fetch,
    sent: () => state.sent,
    streamedRedirectModes: () => state.streamedRedirectModes,
  };
};

const anthropicBatchCount = (s: RunningSimulator): number =>
  Object.values(s.stats().anthropic.batches).reduce((sum, n) => sum + n, 0);

const openaiBatchCount = (s: RunningSimulator): number =>
  Object.values(s.stats().openai.batches).reduce((sum, n) => sum + n, 0);

describe('streaming submission: Anthropic', () => {
  it('submits 5,000 requests of ~2 KB intact, and every result reads back', async () => {
    const provider = new AnthropicBatchProvider({ apiKey: API_KEY, baseUrl: sim.anthropicBaseUrl });
    const input = generatedInput('bl-s-a1', '/v1/messages', 5000, anthropicLine('a1'));
    expect(input.inputBytes).toBeGreaterThan(9 * MiB);

    const submitted = await provider.submit(input);

    // One pass to validate and count, one to send.
    expect(input.opens).toHaveLength(2);
    const client = new Anthropic({ apiKey: API_KEY, baseURL: sim.anthropicBaseUrl });
    const ended = await waitForEnded(provider, submitted.providerBatchId, 60_000);
    const batch = await client.messages.batches.retrieve(submitted.providerBatchId);
    expect(batch.request_counts.succeeded).toBe(5000);

    const lines = await readLines(await provider.openResults(ended.resultRefs[0] ?? ''));
    expect(lines).toHaveLength(5000);
    const tokensById = new Map<string, number>();
    for (const line of lines) {
      const parsed = JSON.parse(line) as {
        custom_id: string;
        result: { type: string; message: { usage: { input_tokens: number } } };
      };
      expect(parsed.result.type).toBe('succeeded');
      tokensById.set(parsed.custom_id, parsed.result.message.usage.input_tokens);
    }
    // The simulator counts about four prompt characters per token: every request arrived
    // under its own custom_id with its own prompt, whole.
    for (let i = 0; i < 5000; i += 1) {
      expect(tokensById.get(`a1-${i}`)).toBe(3 + Math.ceil(promptChars(i) / 4));
    }
  });

  it('sends the body while the input is still being read, not after reading all of it', async () => {
    const counting = countingFetch();
    const client = new Anthropic({
      apiKey: API_KEY,
      baseURL: sim.anthropicBaseUrl,
      fetch: counting.fetch,
    });
    const provider = new AnthropicBatchProvider({ client });
    const input = generatedInput('bl-s-a2', '/v1/messages', 12_000, anthropicLine('a2'), {
      sent: counting.sent,
    });
    expect(input.inputBytes).toBeGreaterThan(22 * MiB);

    await provider.submit(input);

    const sendPass = input.opens.at(-1);
    expect(sendPass?.finished).toBe(true);
    // Read ahead at most the whole-body threshold (4 MiB) plus what sits in stream buffers.
    expect(sendPass?.maxLead).toBeLessThan(6 * MiB);
    expect(counting.sent()).toBeGreaterThan(input.inputBytes);
    expect(counting.streamedRedirectModes()).toEqual(['error']);
  });

  it('refuses a malformed line before any HTTP call, with its line number', async () => {
    const provider = new AnthropicBatchProvider({ apiKey: API_KEY, baseUrl: sim.anthropicBaseUrl });
    const requestsBefore = sim.stats().http.requests;
    const batchesBefore = anthropicBatchCount(sim);
    const input = generatedInput('bl-s-a3', '/v1/messages', 4000, anthropicLine('a3'), {
      lineAt: (_open, i) => (i === 2999 ? '{"custom_id":"a3-2999"}' : undefined),
    });

    const error = await provider.submit(input).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error).toMatchObject({
      code: 'malformed_input_line',
      details: { provider: 'anthropic', line: 3000 },
    });
    expect(input.opens).toHaveLength(1);
    expect(sim.stats().http.requests).toBe(requestsBefore);
    expect(anthropicBatchCount(sim)).toBe(batchesBefore);
  });

  it.each([
    [4001, 4000],
    [3999, 4000],
  ])(
    'refuses an input of %i requests when %i are expected, before any HTTP call',
    async (expected, found) => {
      const provider = new AnthropicBatchProvider({
        apiKey: API_KEY,
        baseUrl: sim.anthropicBaseUrl,
      });
      const requestsBefore = sim.stats().http.requests;
      const input = {
        ...generatedInput('bl-s-a4', '/v1/messages', found, anthropicLine('a4')),
        requestCount: expected,
      };

      const error = await provider.submit(input).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(InvalidInputError);
      expect(error).toMatchObject({
        code: 'input_count_mismatch',
        details: { batchId: 'bl-s-a4', found, expected },
      });
      expect(sim.stats().http.requests).toBe(requestsBefore);
    },
  );

  it('fails the call mid-body, creating no batch, when the input grew after it was counted', async () => {
    const provider = new AnthropicBatchProvider({ apiKey: API_KEY, baseUrl: sim.anthropicBaseUrl });
    const batchesBefore = anthropicBatchCount(sim);
    const input = generatedInput('bl-s-a5', '/v1/messages', 4000, anthropicLine('a5'), {
      extraLinesAt: (open) => (open === 0 ? 0 : 1),
    });

    const error = await provider.submit(input).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error).toMatchObject({ code: 'input_count_mismatch', details: { found: 4001 } });
    // Not retried: the input itself is wrong.
    expect(input.opens).toHaveLength(2);
    expect(anthropicBatchCount(sim)).toBe(batchesBefore);
  });

  it('retries a 500 on create with a freshly opened input', async () => {
    const provider = new AnthropicBatchProvider({ apiKey: API_KEY, baseUrl: sim.anthropicBaseUrl });
    sim.setFaults({
      http: { rate: 1, statuses: [500], retryAfterMs: 5, pathPattern: '^/v1/messages/batches$' },
    });
    const input = generatedInput('bl-s-a6', '/v1/messages', 3000, anthropicLine('a6'));
    expect(input.inputBytes).toBeGreaterThan(4 * MiB);

    const submitted = await provider.submit(input);

    // Counted once, sent twice, each send from a new read of the input.
    expect(input.opens).toHaveLength(3);
    expect(input.opens.every((open) => open.finished)).toBe(true);
    const client = new Anthropic({ apiKey: API_KEY, baseURL: sim.anthropicBaseUrl });
    const batch = await client.messages.batches.retrieve(submitted.providerBatchId);
    expect(batch.request_counts.processing + batch.request_counts.succeeded).toBe(3000);
  });

  it("gives up on a persisting 503 after the client's retries with a retryable UnavailableError", async () => {
    const provider = new AnthropicBatchProvider({ apiKey: API_KEY, baseUrl: sim.anthropicBaseUrl });
    sim.setFaults({
      http: {
        rate: 1,
        statuses: [503],
        retryAfterMs: 5,
        maxPerRequest: 10,
        pathPattern: '^/v1/messages/batches$',
      },
    });
    const batchesBefore = anthropicBatchCount(sim);
    const input = generatedInput('bl-s-a7', '/v1/messages', 3000, anthropicLine('a7'));

    const error = await provider.submit(input).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(UnavailableError);
    expect(error).toMatchObject({
      code: 'unavailable',
      retryable: true,
      details: { provider: 'anthropic', operation: 'batches.create', status: 503 },
    });
    // The default maxRetries (2): three sends after the counting pass.
    expect(input.opens).toHaveLength(4);
    expect(anthropicBatchCount(sim)).toBe(batchesBefore);
  });

  it('translates a connection lost mid-body into a retryable error after retrying', async () => {
    let tries = 0;
    const dropping = async (url: string | URL | Request, init?: RequestInit) => {
      const body = init?.body;
      if (!(body instanceof ReadableStream)) return globalThis.fetch(url, init);
      tries += 1;
      // Take a little of the body, then fail as undici does when the socket goes.
      const reader = (body as ReadableStream<Uint8Array>).getReader();
      await reader.read();
      await reader.cancel();
      throw new TypeError('fetch failed', { cause: new Error('other side closed') });
    };
    const client = new Anthropic({
      apiKey: API_KEY,
      baseURL: sim.anthropicBaseUrl,
      maxRetries: 1,
      fetch: dropping as typeof globalThis.fetch,
    });
    const provider = new AnthropicBatchProvider({ client });
    const input = generatedInput('bl-s-a8', '/v1/messages', 3000, anthropicLine('a8'));

    const error = await provider.submit(input).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(UnavailableError);
    expect(error).toMatchObject({ code: 'connection_error', retryable: true });
    expect(tries).toBe(2);
    expect(input.opens).toHaveLength(3);
  });

  it('answers a streamed body over the size limit with InvalidInputError, without retrying', async () => {
    const provider = new AnthropicBatchProvider({
      apiKey: API_KEY,
      baseUrl: smallSim.anthropicBaseUrl,
    });
    const input = generatedInput('bl-s-a9', '/v1/messages', 3000, anthropicLine('a9'));

    const error = await provider.submit(input).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error).toMatchObject({
      code: 'too_large',
      details: { provider: 'anthropic', status: 413, providerType: 'request_too_large' },
    });
    expect(input.opens).toHaveLength(2);
    expect(anthropicBatchCount(smallSim)).toBe(0);
  });
});

describe('streaming submission: OpenAI', () => {
  it('uploads 5,000 requests of ~2 KB byte for byte, named after the batch, and reads back every result', async () => {
    const provider = new OpenAIBatchProvider({ apiKey: API_KEY, baseUrl: sim.openaiBaseUrl });
    const input = generatedInput('bl-s-o1', '/v1/chat/completions', 5000, openaiLine('o1'));
    expect(input.inputBytes).toBeGreaterThan(9 * MiB);

    const submitted = await provider.submit(input);

    expect(input.opens).toHaveLength(1);
    const client = new OpenAI({ apiKey: API_KEY, baseURL: sim.openaiBaseUrl });
    const batch = await client.batches.retrieve(submitted.providerBatchId);
    const file = await client.files.retrieve(batch.input_file_id);
    expect(file).toMatchObject({ filename: 'bl-s-o1.jsonl', bytes: input.inputBytes });
    const content = await (await client.files.content(batch.input_file_id)).text();
    expect(content === input.jsonl()).toBe(true);

    const ended = await waitForEnded(provider, submitted.providerBatchId, 60_000);
    expect(ended.providerStatus).toBe('completed');
    const ids = new Set<string>();
    for (const ref of ended.resultRefs) {
      for (const line of await readLines(await provider.openResults(ref))) {
        const parsed = JSON.parse(line) as { custom_id: string; response: { status_code: number } };
        expect(parsed.response.status_code).toBe(200);
        ids.add(parsed.custom_id);
      }
    }
    expect(ids.size).toBe(5000);
    for (let i = 0; i < 5000; i += 1) expect(ids.has(`o1-${i}`)).toBe(true);
  });

  it('uploads the file while the input is still being read, not after reading all of it', async () => {
    const counting = countingFetch();
    const client = new OpenAI({
      apiKey: API_KEY,
      baseURL: sim.openaiBaseUrl,
      fetch: counting.fetch,
    });
    const provider = new OpenAIBatchProvider({ client });
    const input = generatedInput('bl-s-o2', '/v1/chat/completions', 12_000, openaiLine('o2'), {
      sent: counting.sent,
    });
    expect(input.inputBytes).toBeGreaterThan(22 * MiB);

    await provider.submit(input);

    expect(input.opens).toHaveLength(1);
    expect(input.opens[0]?.finished).toBe(true);
    expect(input.opens[0]?.maxLead).toBeLessThan(6 * MiB);
    expect(counting.sent()).toBeGreaterThan(input.inputBytes);
    expect(counting.streamedRedirectModes()).toEqual(['error']);
  });

  it('refuses an input declared over 200 MB before reading it or calling OpenAI', async () => {
    const provider = new OpenAIBatchProvider({ apiKey: API_KEY, baseUrl: sim.openaiBaseUrl });
    const requestsBefore = sim.stats().http.requests;
    const input = {
      ...generatedInput('bl-s-o3', '/v1/chat/completions', 10, openaiLine('o3')),
      inputBytes: 200_000_001,
    };

    await expect(provider.submit(input)).rejects.toMatchObject({
      code: 'input_too_large',
      details: { provider: 'openai', maxBytes: 200_000_000 },
    });
    expect(input.opens).toHaveLength(0);
    expect(sim.stats().http.requests).toBe(requestsBefore);
  });

  it('stops an upload that runs past 200 MB while streaming, leaving no file', async () => {
    const provider = new OpenAIBatchProvider({ apiKey: API_KEY, baseUrl: sim.openaiBaseUrl });
    const filesBefore = sim.stats().files;
    const block = Buffer.from(
      Array.from({ length: 512 }, (_, i) => `${openaiLine('o4')(i)}\n`).join(''),
    );
    const reads = { bytes: 0 };
    const input: SubmitBatchInput = {
      batchId: 'bl-s-o4',
      endpoint: '/v1/chat/completions',
      requestCount: 50_000,
      // What the collector recorded; the stream turns out longer.
      inputBytes: 1000,
      openInput: async () =>
        Readable.from(
          (async function* () {
            for (;;) {
              reads.bytes += block.length;
              yield block;
            }
          })(),
          { objectMode: false },
        ),
    };

    const error = await provider.submit(input).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error).toMatchObject({ code: 'input_too_large' });
    expect(reads.bytes).toBeGreaterThan(200_000_000);
    expect(reads.bytes).toBeLessThan(200_000_000 + 4 * MiB);
    expect(sim.stats().files).toBe(filesBefore);
  });

  it('retries a 500 on the upload with a freshly opened input', async () => {
    const provider = new OpenAIBatchProvider({ apiKey: API_KEY, baseUrl: sim.openaiBaseUrl });
    sim.setFaults({
      http: { rate: 1, statuses: [500], retryAfterMs: 5, pathPattern: '^/v1/files$' },
    });
    const filesBefore = sim.stats().files;
    const input = generatedInput('bl-s-o5', '/v1/chat/completions', 3000, openaiLine('o5'));
    expect(input.inputBytes).toBeGreaterThan(4 * MiB);

    const submitted = await provider.submit(input);

    expect(input.opens).toHaveLength(2);
    expect(input.opens.every((open) => open.finished)).toBe(true);
    expect(sim.stats().files).toBe(filesBefore + 1);
    const client = new OpenAI({ apiKey: API_KEY, baseURL: sim.openaiBaseUrl });
    const batch = await client.batches.retrieve(submitted.providerBatchId);
    const file = await client.files.retrieve(batch.input_file_id);
    expect(file.bytes).toBe(input.inputBytes);
  });

  it("gives up on a persisting 503 on the upload after the client's retries, creating no batch", async () => {
    const provider = new OpenAIBatchProvider({ apiKey: API_KEY, baseUrl: sim.openaiBaseUrl });
    sim.setFaults({
      http: {
        rate: 1,
        statuses: [503],
        retryAfterMs: 5,
        maxPerRequest: 10,
        pathPattern: '^/v1/files$',
      },
    });
    const batchesBefore = openaiBatchCount(sim);
    const input = generatedInput('bl-s-o6', '/v1/chat/completions', 3000, openaiLine('o6'));

    const error = await provider.submit(input).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(UnavailableError);
    expect(error).toMatchObject({
      code: 'unavailable',
      retryable: true,
      details: { provider: 'openai', operation: 'files.create', status: 503 },
    });
    expect(input.opens).toHaveLength(3);
    expect(openaiBatchCount(sim)).toBe(batchesBefore);
  });
});
