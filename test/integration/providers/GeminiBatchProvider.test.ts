import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GoogleGenAI } from '@google/genai';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunningSimulator } from '../../../local/simulator/startSimulator.js';
import { GeminiBatchProvider } from '../../../shared/adapters/providers/GeminiBatchProvider.js';
import { GeminiRealtimeProvider } from '../../../shared/adapters/providers/GeminiRealtimeProvider.js';
import {
  AuthError,
  InvalidInputError,
  NotFoundError,
  PROVIDER_RESULTS_GONE,
  ThrottledError,
  UnavailableError,
} from '../../../shared/domain/errors.js';
import { formatProviderLine } from '../../../shared/domain/formatProviderLine.js';
import { defaultPriceTable } from '../../../shared/domain/pricing/defaultPriceTable.js';
import { priceRequest } from '../../../shared/domain/pricing/priceRequest.js';
import { tokenUsageFromResponse } from '../../../shared/domain/pricing/TokenUsage.js';
import {
  API_KEY,
  readResults,
  submitInput,
  useSimulator,
  waitForEnded,
} from './providerTestKit.js';

let sim: RunningSimulator;
let inline: GeminiBatchProvider;
let viaFiles: GeminiBatchProvider;

const line = (customId: string, body: Record<string, unknown> = {}): string =>
  formatProviderLine('gemini', 'generateContent', customId, {
    model: 'gemini-2.5-flash',
    contents: [{ role: 'user', parts: [{ text: `question for ${customId}` }] }],
    generationConfig: { maxOutputTokens: 64 },
    ...body,
  });

/** A provider whose client sends `x-sim-faults` on every call (the simulator's per-batch knobs). */
const withFaults = (faults: Record<string, unknown>, settings = {}): GeminiBatchProvider =>
  new GeminiBatchProvider({
    client: new GoogleGenAI({
      apiKey: API_KEY,
      httpOptions: {
        baseUrl: sim.geminiBaseUrl,
        headers: { 'x-sim-faults': JSON.stringify(faults) },
      },
    }),
    ...settings,
  });

const simulator = useSimulator(17);

beforeAll(async () => {
  sim = simulator.current;
  inline = new GeminiBatchProvider({ apiKey: API_KEY, baseUrl: sim.geminiBaseUrl });
  viaFiles = new GeminiBatchProvider({
    apiKey: API_KEY,
    baseUrl: sim.geminiBaseUrl,
    inlineMaxBytes: 0,
  });
});

describe('GeminiBatchProvider against the simulator', () => {
  it('says a responses file Gemini no longer keeps is gone for good, a wrong key is not', async () => {
    // Files live 48 hours; this batch's responses file is deleted as soon as the batch ends.
    const expiring = withFaults({ resultsRetentionMs: 0 }, { inlineMaxBytes: 0 });
    const submitted = await expiring.submit(
      submitInput('bl_gem_gone', 'generateContent', [line('g000001')]),
    );
    const ended = await waitForEnded(expiring, submitted.providerBatchId);
    const [ref] = ended.resultRefs;
    if (ref === undefined) throw new Error('no responses file');

    const opened = expiring.openResults(ref);
    await expect(opened).rejects.toBeInstanceOf(NotFoundError);
    await expect(opened).rejects.toMatchObject({
      code: PROVIDER_RESULTS_GONE,
      retryable: false,
      details: { provider: 'gemini', ref },
    });
    // Gemini answers a refused key with the same 403: that is no proof the file is gone.
    const wrongKey = new GeminiBatchProvider({ apiKey: 'wrong-key', baseUrl: sim.geminiBaseUrl });
    await expect(wrongKey.openResults(ref)).rejects.toBeInstanceOf(AuthError);
  });

  it('sends a small batch inline and reads its inline responses by key, errors per request', async () => {
    // Prepare: one request Gemini refuses, one that fails transiently, two that succeed.
    const lines = [
      line('r000001'),
      line('r000002'),
      line('r000003', { contents: [] }),
      line('r000004__sim_overloaded_error'),
    ];

    // Act
    const submitted = await inline.submit(submitInput('bl_gem_inline', 'generateContent', lines));
    const ended = await waitForEnded(inline, submitted.providerBatchId);
    const results = await readResults(inline, ended);

    // Assess
    expect(submitted).toMatchObject({ phase: 'running', providerStatus: 'JOB_STATE_PENDING' });
    expect(submitted.providerBatchId).toMatch(/^batches\//);
    expect(submitted.expiresAt).not.toBeNull();
    expect(ended).toMatchObject({ phase: 'ended', providerStatus: 'JOB_STATE_SUCCEEDED' });
    expect(ended.resultRefs).toEqual([`inline:${submitted.providerBatchId}`]);
    expect(results.size).toBe(4);
    const ok = results.get('r000001');
    expect(ok).toMatchObject({ status: 'succeeded', retryable: false, model: 'gemini-2.5-flash' });
    expect(ok?.usage?.input_tokens).toBeGreaterThan(0);
    expect(ok?.usage?.output_tokens).toBeGreaterThan(0);
    expect(results.get('r000003')).toMatchObject({
      status: 'errored',
      retryable: false,
      error: { type: 'INVALID_ARGUMENT' },
    });
    expect(results.get('r000004__sim_overloaded_error')).toMatchObject({
      status: 'errored',
      retryable: true,
      error: { type: 'UNAVAILABLE' },
    });
  });

  it('sends a batch Gemini refuses inline as a file, so one bad request fails alone', async () => {
    // A field GenerateContentRequest does not have: the proto parser refuses the whole inline
    // create, but judges each line of a file on its own.
    const lines = [line('n000001'), line('n000002', { tempature: 0.3 }), line('n000003')];

    const submitted = await inline.submit(submitInput('bl_gem_fallback', 'generateContent', lines));
    const ended = await waitForEnded(inline, submitted.providerBatchId);
    const results = await readResults(inline, ended);

    expect(ended.resultRefs[0]).toMatch(/^files\//);
    expect(results.get('n000001')?.status).toBe('succeeded');
    expect(results.get('n000003')?.status).toBe('succeeded');
    expect(results.get('n000002')).toMatchObject({
      status: 'errored',
      retryable: false,
      error: { type: 'INVALID_ARGUMENT', message: expect.stringContaining('tempature') },
    });
  });

  it('uploads a larger batch through the Files API and streams its responses file', async () => {
    const lines = Array.from({ length: 12 }, (_, i) => line(`f${String(i).padStart(6, '0')}`));
    const submitted = await viaFiles.submit(submitInput('bl_gem_file', 'generateContent', lines));
    const ended = await waitForEnded(viaFiles, submitted.providerBatchId);
    const results = await readResults(viaFiles, ended);

    expect(ended.resultRefs).toHaveLength(1);
    expect(ended.resultRefs[0]).toMatch(/^files\//);
    expect([...results.keys()].sort()).toEqual(
      lines.map((_, i) => `f${String(i).padStart(6, '0')}`),
    );
    expect([...results.values()].every((result) => result.status === 'succeeded')).toBe(true);
  });

  it('replaces an input file left by an earlier try of the same submission', async () => {
    const first = await viaFiles.submit(
      submitInput('bl_gem_twice', 'generateContent', [line('t1')]),
    );
    // A retry after a crash between the upload and the record: same batch id, same file name.
    const second = await viaFiles.submit(
      submitInput('bl_gem_twice', 'generateContent', [line('t1'), line('t2')]),
    );
    const ended = await waitForEnded(viaFiles, second.providerBatchId);
    const results = await readResults(viaFiles, ended);

    expect(second.providerBatchId).not.toBe(first.providerBatchId);
    expect([...results.keys()].sort()).toEqual(['t1', 't2']);
  });

  it('refuses a batch that mixes models, before anything is sent', async () => {
    const mixed = [line('m1'), line('m2', { model: 'gemini-2.5-pro' })];
    await expect(
      inline.submit(submitInput('bl_gem_mixed', 'generateContent', mixed)),
    ).rejects.toMatchObject({ code: 'mixed_models' });
    await expect(
      inline.submit(submitInput('bl_gem_ep', '/v1/messages', [line('e1')])),
    ).rejects.toBeInstanceOf(InvalidInputError);
  });

  it('cancels a running batch, keeps what finished, and gives the rest no result', async () => {
    const slow = withFaults({ processingMs: 60_000 });
    const submitted = await slow.submit(
      submitInput('bl_gem_cancel', 'generateContent', [line('c1'), line('c2')]),
    );
    const cancelling = await slow.cancel(submitted.providerBatchId);
    const ended = await waitForEnded(slow, submitted.providerBatchId);
    const results = await readResults(slow, ended);

    expect(cancelling.providerBatchId).toBe(submitted.providerBatchId);
    expect(ended.providerStatus).toBe('JOB_STATE_CANCELLED');
    // Nothing had finished a minute-long batch yet: completion delivers both as missing.
    expect(results.size).toBe(0);
  });

  it('reports an expired batch as ended with no results', async () => {
    const expiring = withFaults({ expireAtFraction: 0.01 });
    const expired = await expiring.submit(
      submitInput('bl_gem_exp', 'generateContent', [line('x1')]),
    );
    const expiredEnd = await waitForEnded(expiring, expired.providerBatchId);
    expect(expiredEnd).toMatchObject({ providerStatus: 'JOB_STATE_EXPIRED', resultRefs: [] });
  });

  it('reports a batch Gemini failed as a whole with a failure and no results', async () => {
    // Only a file batchlane would never write fails a batch: made here with the SDK itself.
    const ai = new GoogleGenAI({ apiKey: API_KEY, httpOptions: { baseUrl: sim.geminiBaseUrl } });
    const dir = await mkdtemp(join(tmpdir(), 'gemini-failed-'));
    await writeFile(join(dir, 'bad.jsonl'), 'not json\n');
    const file = await ai.files.upload({
      file: join(dir, 'bad.jsonl'),
      config: { mimeType: 'jsonl' },
    });
    const job = await ai.batches.create({ model: 'gemini-2.5-flash', src: file.name ?? '' });
    await rm(dir, { recursive: true, force: true });

    const ended = await waitForEnded(inline, job.name ?? '');

    expect(ended).toMatchObject({
      providerStatus: 'JOB_STATE_FAILED',
      resultRefs: [],
      failure: { code: 'batch_failed' },
    });
  });

  it('deletes the responses file, the input file and the batch, twice without error', async () => {
    const submitted = await viaFiles.submit(
      submitInput('bl_gem_del', 'generateContent', [line('d1'), line('d2')]),
    );
    const ended = await waitForEnded(viaFiles, submitted.providerBatchId);

    await viaFiles.deleteArtifacts(submitted.providerBatchId);
    await viaFiles.deleteArtifacts(submitted.providerBatchId);

    await expect(viaFiles.retrieve(submitted.providerBatchId)).rejects.toBeInstanceOf(
      NotFoundError,
    );
    // Gemini's 403 for the deleted file, with the key proved good: gone for good.
    await expect(viaFiles.openResults(ended.resultRefs[0] ?? '')).rejects.toMatchObject({
      code: PROVIDER_RESULTS_GONE,
    });
  });

  it('finds the batch it made for a batchlane batch, and nothing made before the hint', async () => {
    const submitted = await inline.submit(
      submitInput('bl_gem_find', 'generateContent', [line('q1')]),
    );
    const found = await inline.findByBatchId('bl_gem_find', {
      submittedAfter: new Date(Date.now() - 60_000),
      requestCount: 1,
    });
    const tooLate = await inline.findByBatchId('bl_gem_find', {
      submittedAfter: new Date(Date.now() + 60_000),
      requestCount: 1,
    });
    const none = await inline.findByBatchId('bl_gem_never', {
      submittedAfter: new Date(0),
      requestCount: 1,
    });

    expect(found?.providerBatchId).toBe(submitted.providerBatchId);
    expect(tooLate).toBeNull();
    expect(none).toBeNull();
  });

  it("translates Gemini's errors: bad key, throttling, outages", async () => {
    const wrongKey = new GeminiBatchProvider({ apiKey: 'wrong', baseUrl: sim.geminiBaseUrl });
    await expect(wrongKey.retrieve('batches/abc')).rejects.toBeInstanceOf(AuthError);
    await expect(inline.retrieve('batches/doesnotexist')).rejects.toBeInstanceOf(NotFoundError);

    const noRetries = new GeminiBatchProvider({
      apiKey: API_KEY,
      baseUrl: sim.geminiBaseUrl,
      maxRetries: 0,
    });
    sim.setFaults({ http: { rate: 1, statuses: [429], pathPattern: '^/v1beta/batches/' } });
    await expect(noRetries.retrieve('batches/abc')).rejects.toBeInstanceOf(ThrottledError);
    sim.setFaults({ http: { rate: 1, statuses: [503], pathPattern: '^/v1beta/batches/' } });
    await expect(noRetries.retrieve('batches/abc')).rejects.toBeInstanceOf(UnavailableError);
  });
});

describe('GeminiRealtimeProvider against the simulator', () => {
  const call = (lane: 'flex' | 'realtime', body: Record<string, unknown> = {}) => ({
    endpoint: 'generateContent',
    body: {
      model: 'gemini-2.5-flash',
      contents: [{ role: 'user', parts: [{ text: 'Summarise: the sky is blue.' }] }],
      generationConfig: { maxOutputTokens: 32 },
      ...body,
    },
    lane,
    deadline: new Date(Date.now() + 60_000),
  });
  const realtime = (): GeminiRealtimeProvider =>
    new GeminiRealtimeProvider({
      apiKey: API_KEY,
      baseUrl: sim.geminiBaseUrl,
      retry: { initialDelayMs: 5, maxDelayMs: 10 },
    });

  it('serves flex and standard calls, priced at flex and standard prices', async () => {
    const provider = realtime();
    const [flex, standard] = await Promise.all([
      provider.invoke(call('flex')),
      provider.invoke(call('realtime')),
    ]);

    expect(provider.supportsFlex).toBe(true);
    expect(flex).toMatchObject({ status: 'succeeded', serviceTier: 'flex', httpAttempts: 1 });
    expect(standard).toMatchObject({ status: 'succeeded', serviceTier: 'standard' });
    expect(flex.response).not.toHaveProperty('sdkHttpResponse');
    const usage = tokenUsageFromResponse('gemini', 'generateContent', flex.response);
    const price = (lane: 'flex' | 'realtime') =>
      priceRequest(
        { provider: 'gemini', model: 'gemini-2.5-flash', lane, usage, at: new Date() },
        defaultPriceTable,
      );
    expect(price('flex')).toMatchObject({ basis: 'usage', billed_as: 'flex' });
    expect(price('flex').nano_usd * 2).toBe(price('realtime').nano_usd);
  });

  it('retries a shed flex request and gives a refused one its own error', async () => {
    sim.setFaults({ flexUnavailableRate: 1, flexUnavailableMaxPerRequest: 1 });
    const served = await realtime().invoke(call('flex'));
    expect(served).toMatchObject({ status: 'succeeded', httpAttempts: 2 });

    sim.setFaults({});
    const refused = await realtime().invoke(
      call('realtime', { generationConfig: { temperature: 9 } }),
    );
    expect(refused).toMatchObject({
      status: 'errored',
      retryable: false,
      error: { type: 'INVALID_ARGUMENT' },
    });
    const unknownModel = await realtime().invoke(call('realtime', { model: 'gpt-4o' }));
    expect(unknownModel).toMatchObject({ status: 'errored', error: { type: 'NOT_FOUND' } });
  });
});
