import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiError, type BatchJob, GoogleGenAI, JobState } from '@google/genai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSimulator, startSimulator } from '../../local/simulator/startSimulator.js';
import { API_KEY, waitFor } from './simulatorTestKit.js';

let sim: RunningSimulator;
let ai: GoogleGenAI;
let dir: string;

beforeAll(async () => {
  sim = await startSimulator({
    processingMs: 200,
    seed: 21,
    apiKeys: [API_KEY],
    limits: { geminiMaxInlineBytes: 50_000 },
  });
  ai = new GoogleGenAI({ apiKey: API_KEY, httpOptions: { baseUrl: sim.geminiBaseUrl } });
  dir = await mkdtemp(join(tmpdir(), 'gemini-sim-'));
});

afterAll(async () => {
  await sim.stop();
  await rm(dir, { recursive: true, force: true });
});

const ENDED: readonly string[] = [
  JobState.JOB_STATE_SUCCEEDED,
  JobState.JOB_STATE_FAILED,
  JobState.JOB_STATE_CANCELLED,
  JobState.JOB_STATE_EXPIRED,
];

const settle = (name: string): Promise<BatchJob> =>
  waitFor(
    () => ai.batches.get({ name }),
    (job) => ENDED.includes(job.state ?? ''),
  );

const contents = (text: string) => [{ role: 'user', parts: [{ text }] }];

/** The body of an ApiError: the simulator's `{error:{code,message,status}}`. */
const apiErrorOf = async (call: Promise<unknown>): Promise<{ status: number; body: unknown }> => {
  const error = await call.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof ApiError)) throw new Error(`expected an ApiError, got ${String(error)}`);
  return { status: error.status, body: JSON.parse(error.message) };
};

const uploadLines = async (lines: string[], name?: string) => {
  const path = join(dir, `${name ?? 'input'}-${Math.random().toString(36).slice(2)}.jsonl`);
  await writeFile(path, `${lines.join('\n')}\n`);
  return ai.files.upload({
    file: path,
    config: { mimeType: 'jsonl', displayName: 'requests', ...(name ? { name } : {}) },
  });
};

describe('Gemini Batch Mode: inline requests', () => {
  it('creates a batch from inline requests, runs it and returns inline responses by key', async () => {
    // Act
    const created = await ai.batches.create({
      model: 'gemini-2.5-flash',
      src: [
        { contents: contents('Describe photosynthesis.'), metadata: { key: 'a' } },
        { contents: contents('Why is the sky blue?'), metadata: { key: 'b' } },
      ],
      config: { displayName: 'inline-batch' },
    });
    const ended = await settle(created.name ?? '');

    // Assess
    expect(created.name).toMatch(/^batches\/[a-z0-9]+$/);
    expect(created.state).toBe(JobState.JOB_STATE_PENDING);
    expect(created.model).toBe('models/gemini-2.5-flash');
    expect(created.displayName).toBe('inline-batch');
    expect(ended.state).toBe(JobState.JOB_STATE_SUCCEEDED);
    expect(ended.endTime).toBeDefined();
    const responses = ended.dest?.inlinedResponses ?? [];
    expect(responses.map((item) => item.metadata?.['key']).sort()).toEqual(['a', 'b']);
    for (const item of responses) {
      expect(item.response?.candidates?.[0]?.content?.parts?.[0]?.text).toEqual(expect.any(String));
      expect(item.response?.usageMetadata?.promptTokenCount).toBeGreaterThan(0);
      expect(item.response?.modelVersion).toBe('gemini-2.5-flash');
    }
  });

  it('keeps REST fields the SDK does not model when they are sent through extraBody', async () => {
    // Act: generationConfig and systemInstruction written as the REST API takes them.
    const created = await ai.batches.create({
      model: 'models/gemini-2.5-flash',
      src: [],
      config: {
        httpOptions: {
          extraBody: {
            batch: {
              inputConfig: {
                requests: {
                  requests: [
                    {
                      request: {
                        contents: contents('Count to three.'),
                        generationConfig: { maxOutputTokens: 2 },
                        systemInstruction: { parts: [{ text: 'Be brief.' }] },
                      },
                      metadata: { key: 'short' },
                    },
                  ],
                },
              },
            },
          },
        },
      },
    });
    const ended = await settle(created.name ?? '');

    // Assess: the output limit was read from the request itself.
    const item = ended.dest?.inlinedResponses?.[0];
    expect(item?.response?.usageMetadata?.candidatesTokenCount).toBeLessThanOrEqual(2);
  });

  it('gives a request Gemini refuses its own error, and its neighbours their responses', async () => {
    const created = await ai.batches.create({
      model: 'gemini-2.5-flash',
      src: [],
      config: {
        httpOptions: {
          extraBody: {
            batch: {
              inputConfig: {
                requests: {
                  requests: [
                    { request: { contents: [] }, metadata: { key: 'empty' } },
                    { request: { contents: contents('fine') }, metadata: { key: 'fine' } },
                  ],
                },
              },
            },
          },
        },
      },
    });
    const ended = await settle(created.name ?? '');
    const byKey = new Map(
      (ended.dest?.inlinedResponses ?? []).map((item) => [item.metadata?.['key'], item]),
    );
    expect(byKey.get('empty')?.error).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT' });
    expect(byKey.get('fine')?.response?.candidates).toHaveLength(1);
  });

  it('refuses an unknown field, an unknown model and an oversized create as the API does', async () => {
    const unknownField = await apiErrorOf(
      ai.batches.create({
        model: 'gemini-2.5-flash',
        src: [],
        config: {
          httpOptions: {
            extraBody: {
              batch: {
                inputConfig: {
                  requests: { requests: [{ request: { contents: contents('x'), tempature: 1 } }] },
                },
              },
            },
          },
        },
      }),
    );
    expect(unknownField.status).toBe(400);
    expect(unknownField.body).toMatchObject({
      error: {
        code: 400,
        status: 'INVALID_ARGUMENT',
        message: expect.stringContaining('tempature'),
      },
    });

    const unknownModel = await apiErrorOf(
      ai.batches.create({ model: 'no-such-model', src: [{ contents: contents('x') }] }),
    );
    expect(unknownModel).toMatchObject({ status: 404, body: { error: { status: 'NOT_FOUND' } } });

    const big = 'x'.repeat(60_000);
    const tooLarge = await apiErrorOf(
      ai.batches.create({ model: 'gemini-2.5-flash', src: [{ contents: contents(big) }] }),
    );
    expect(tooLarge).toMatchObject({
      status: 400,
      body: { error: { status: 'INVALID_ARGUMENT' } },
    });
  });
});

describe('Gemini Files API and file batches', () => {
  it('uploads with the resumable protocol, describes, downloads and deletes a file', async () => {
    // Act
    const file = await uploadLines(['{"key":"k","request":{"contents":[]}}'], 'my-input');
    const described = await ai.files.get({ name: 'files/my-input' });
    const again = await apiErrorOf(uploadLines(['{}'], 'my-input'));
    const path = join(dir, 'downloaded.jsonl');
    await ai.files.download({ file: 'files/my-input', downloadPath: path });
    await ai.files.delete({ name: 'files/my-input' });
    const gone = await apiErrorOf(ai.files.get({ name: 'files/my-input' }));

    // Assess
    expect(file).toMatchObject({ name: 'files/my-input', mimeType: 'jsonl', state: 'ACTIVE' });
    expect(described.sizeBytes).toBe(String('{"key":"k","request":{"contents":[]}}\n'.length));
    expect(again).toMatchObject({ status: 409, body: { error: { status: 'ALREADY_EXISTS' } } });
    expect(await readFile(path, 'utf8')).toBe('{"key":"k","request":{"contents":[]}}\n');
    expect(gone.status).toBe(403);
  });

  it('runs a batch from a file and writes a responses file keyed like the input', async () => {
    // Prepare
    const lines = Array.from({ length: 5 }, (_, i) =>
      JSON.stringify({
        key: `req-${i}`,
        request: { contents: contents(`question ${i}`), generation_config: { temperature: 0.5 } },
      }),
    );
    lines.push(JSON.stringify({ key: 'bad', request: { contents: contents('x'), bogus: 1 } }));
    const file = await uploadLines(lines);

    // Act
    const created = await ai.batches.create({ model: 'gemini-2.5-flash', src: file.name ?? '' });
    const ended = await settle(created.name ?? '');
    const out = join(dir, 'responses.jsonl');
    await ai.files.download({ file: ended.dest?.fileName ?? '', downloadPath: out });
    const results = (await readFile(out, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);

    // Assess
    expect(ended.state).toBe(JobState.JOB_STATE_SUCCEEDED);
    expect(ended.dest?.fileName).toMatch(/^files\//);
    expect(results.map((r) => r.key).sort()).toEqual([
      'bad',
      'req-0',
      'req-1',
      'req-2',
      'req-3',
      'req-4',
    ]);
    const bad = results.find((r) => r.key === 'bad');
    expect(bad?.error).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT' });
    const good = results.find((r) => r.key === 'req-0') as {
      response?: { usageMetadata?: unknown };
    };
    expect(good.response?.usageMetadata).toMatchObject({ promptTokenCount: expect.any(Number) });
  });

  it('fails a batch whose input file is not JSONL', async () => {
    const file = await uploadLines(['not json']);
    const created = await ai.batches.create({ model: 'gemini-2.5-flash', src: file.name ?? '' });
    const ended = await settle(created.name ?? '');
    expect(ended.state).toBe(JobState.JOB_STATE_FAILED);
    expect(ended.dest).toBeUndefined();
  });

  it('refuses a batch naming a file that does not exist', async () => {
    const missing = await apiErrorOf(
      ai.batches.create({ model: 'gemini-2.5-flash', src: 'files/nope' }),
    );
    expect(missing).toMatchObject({ status: 404, body: { error: { status: 'NOT_FOUND' } } });
  });
});

describe('Gemini batches: list, cancel, delete', () => {
  it('lists batches newest first across pages', async () => {
    const made: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const job = await ai.batches.create({
        model: 'gemini-2.5-flash',
        src: [{ contents: contents(`list ${i}`) }],
        config: { displayName: `list-${i}` },
      });
      made.push(job.name ?? '');
    }
    const pager = await ai.batches.list({ config: { pageSize: 2 } });
    const seen: string[] = [];
    for await (const job of pager) seen.push(job.name ?? '');
    expect(pager.pageSize).toBe(2);
    expect(seen.slice(0, 3)).toEqual([...made].reverse());
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('cancels a running batch, refuses to cancel it again once ended, and deletes it', async () => {
    const slow = new GoogleGenAI({
      apiKey: API_KEY,
      httpOptions: {
        baseUrl: sim.geminiBaseUrl,
        headers: { 'x-sim-faults': JSON.stringify({ processingMs: 60_000 }) },
      },
    });
    const created = await slow.batches.create({
      model: 'gemini-2.5-flash',
      src: [{ contents: contents('slow'), metadata: { key: 'slow' } }],
    });
    const name = created.name ?? '';
    await slow.batches.cancel({ name });
    const ended = await settle(name);
    const again = await apiErrorOf(ai.batches.cancel({ name }));
    await ai.batches.delete({ name });
    const gone = await apiErrorOf(ai.batches.get({ name }));

    expect(ended.state).toBe(JobState.JOB_STATE_CANCELLED);
    expect(again).toMatchObject({
      status: 400,
      body: { error: { status: 'FAILED_PRECONDITION' } },
    });
    expect(gone).toMatchObject({ status: 404, body: { error: { status: 'NOT_FOUND' } } });
  });

  it('expires a batch that runs past its expiry, with no results', async () => {
    const expiring = new GoogleGenAI({
      apiKey: API_KEY,
      httpOptions: {
        baseUrl: sim.geminiBaseUrl,
        headers: { 'x-sim-faults': JSON.stringify({ expireAtFraction: 0.01 }) },
      },
    });
    const created = await expiring.batches.create({
      model: 'gemini-2.5-flash',
      src: [{ contents: contents('late'), metadata: { key: 'late' } }],
    });
    const ended = await settle(created.name ?? '');
    expect(ended.state).toBe(JobState.JOB_STATE_EXPIRED);
    expect(ended.dest).toBeUndefined();
  });
});

describe('Gemini generateContent', () => {
  it('answers a request, refuses a bad one, and rejects a missing key', async () => {
    const answer = await ai.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: 'Hello',
      config: { maxOutputTokens: 5, serviceTier: 'flex' as never },
    });
    expect(answer.text).toEqual(expect.any(String));
    expect(answer.usageMetadata?.candidatesTokenCount).toBeLessThanOrEqual(5);

    const bad = await apiErrorOf(
      ai.models.generateContent({
        model: 'gemini-2.5-flash',
        contents: 'x',
        config: { temperature: 7 },
      }),
    );
    expect(bad).toMatchObject({ status: 400, body: { error: { status: 'INVALID_ARGUMENT' } } });

    const wrongKey = new GoogleGenAI({
      apiKey: 'wrong',
      httpOptions: { baseUrl: sim.geminiBaseUrl },
    });
    const denied = await apiErrorOf(
      wrongKey.models.generateContent({ model: 'gemini-2.5-flash', contents: 'x' }),
    );
    expect(denied).toMatchObject({ status: 400, body: { error: { status: 'INVALID_ARGUMENT' } } });
  });

  it('sheds flex requests when flex capacity is short, as a fault', async () => {
    sim.setFaults({ flexUnavailableRate: 1 });
    try {
      const shed = await apiErrorOf(
        ai.models.generateContent({
          model: 'gemini-2.5-flash',
          contents: 'x',
          config: { serviceTier: 'flex' as never },
        }),
      );
      expect(shed).toMatchObject({
        status: 429,
        body: { error: { status: 'RESOURCE_EXHAUSTED' } },
      });
      const standard = await ai.models.generateContent({
        model: 'gemini-2.5-flash',
        contents: 'x',
      });
      expect(standard.candidates).toHaveLength(1);
    } finally {
      sim.setFaults({});
    }
  });

  it('injects HTTP faults in Gemini error shape, which the SDK retries when told to', async () => {
    sim.setFaults({ http: { rate: 1, statuses: [503], pathPattern: 'generateContent$' } });
    try {
      const failed = await apiErrorOf(
        ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'x' }),
      );
      expect(failed).toMatchObject({
        status: 503,
        body: { error: { code: 503, status: 'UNAVAILABLE' } },
      });
    } finally {
      sim.setFaults({});
    }
  });
});
