import { HTTPClient, Mistral } from '@mistralai/mistralai';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunningSimulator } from '../../../local/simulator/startSimulator.js';
import { MistralBatchProvider } from '../../../shared/adapters/providers/MistralBatchProvider.js';
import { MistralRealtimeProvider } from '../../../shared/adapters/providers/MistralRealtimeProvider.js';
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
let inline: MistralBatchProvider;
let viaFiles: MistralBatchProvider;

const line = (customId: string, body: Record<string, unknown> = {}): string =>
  formatProviderLine('mistral', '/v1/chat/completions', customId, {
    model: 'mistral-small-latest',
    max_tokens: 64,
    messages: [{ role: 'user', content: `question for ${customId}` }],
    ...body,
  });

/** A provider whose client sends `x-sim-faults` on every call (the simulator's per-batch knobs). */
const withFaults = (faults: Record<string, unknown>, inlineMaxBytes?: number) => {
  const httpClient = new HTTPClient();
  httpClient.addHook('beforeRequest', (request) => {
    request.headers.set('x-sim-faults', JSON.stringify(faults));
  });
  return new MistralBatchProvider({
    client: new Mistral({ apiKey: API_KEY, serverURL: sim.mistralBaseUrl, httpClient }),
    ...(inlineMaxBytes === undefined ? {} : { inlineMaxBytes }),
  });
};

const simulator = useSimulator(23);

beforeAll(async () => {
  sim = simulator.current;
  inline = new MistralBatchProvider({ apiKey: API_KEY, baseUrl: sim.mistralBaseUrl });
  viaFiles = new MistralBatchProvider({
    apiKey: API_KEY,
    baseUrl: sim.mistralBaseUrl,
    inlineMaxBytes: 0,
  });
});

describe('MistralBatchProvider against the simulator', () => {
  it('reads an output file it can still retrieve, and says one deleted is gone for good', async () => {
    // The file's record describes it while it is kept: a download refused for a moment is
    // not mistaken for a deletion.
    const kept = await viaFiles.submit(
      submitInput('bl_mis_kept', '/v1/chat/completions', [line('k000001')]),
    );
    const keptEnded = await waitForEnded(viaFiles, kept.providerBatchId);
    const [keptRef] = keptEnded.resultRefs;
    if (keptRef === undefined) throw new Error('no output file');
    const record = await new Mistral({
      apiKey: API_KEY,
      serverURL: sim.mistralBaseUrl,
    }).files.retrieve({ fileId: keptRef });
    expect(record).toMatchObject({ id: keptRef, sampleType: 'batch_result', deleted: false });
    expect([...(await readResults(viaFiles, keptEnded)).keys()]).toEqual(['k000001']);

    // Deleted as soon as the job ends: past the retention.
    const expiring = withFaults({ resultsRetentionMs: 0 }, 0);
    const submitted = await expiring.submit(
      submitInput('bl_mis_gone', '/v1/chat/completions', [line('g000001')]),
    );
    const ended = await waitForEnded(expiring, submitted.providerBatchId);
    const [ref] = ended.resultRefs;
    if (ref === undefined) throw new Error('no output file');
    const opened = expiring.openResults(ref);
    await expect(opened).rejects.toBeInstanceOf(NotFoundError);
    await expect(opened).rejects.toMatchObject({
      code: PROVIDER_RESULTS_GONE,
      retryable: false,
      details: { provider: 'mistral', ref },
    });
  });

  it('sends a small batch inline and reads its outputs by custom_id, errors per request', async () => {
    // Prepare: one request Mistral refuses, one that fails transiently, two that succeed.
    const lines = [
      line('m000001'),
      line('m000002'),
      line('m000003', { messages: [] }),
      line('m000004__sim_overloaded_error'),
    ];

    // Act
    const submitted = await inline.submit(
      submitInput('bl_mis_inline', '/v1/chat/completions', lines),
    );
    const ended = await waitForEnded(inline, submitted.providerBatchId);
    const results = await readResults(inline, ended);

    // Assess
    expect(submitted).toMatchObject({ phase: 'running', resultRefs: [] });
    expect(ended).toMatchObject({ phase: 'ended', providerStatus: 'SUCCESS', failure: null });
    expect(ended.resultRefs).toEqual([`inline:${submitted.providerBatchId}`]);
    expect(results.get('m000001')).toMatchObject({
      status: 'succeeded',
      model: 'mistral-small-latest',
      usage: { input_tokens: expect.any(Number), output_tokens: expect.any(Number) },
    });
    expect(results.get('m000002')?.status).toBe('succeeded');
    expect(results.get('m000003')).toMatchObject({
      status: 'errored',
      error: { type: 'http_422', message: 'body.messages: Field required' },
      retryable: false,
    });
    expect(results.get('m000004__sim_overloaded_error')).toMatchObject({
      status: 'errored',
      error: { type: 'service_unavailable' },
      retryable: true,
    });
  });

  it('uploads a larger batch as a file and streams its output and error files', async () => {
    // Prepare
    const lines = [
      ...Array.from({ length: 30 }, (_, i) => line(`f${String(i).padStart(6, '0')}`)),
      line('f-no-messages', { messages: [] }),
    ];

    // Act
    const submitted = await viaFiles.submit(
      submitInput('bl_mis_file', '/v1/chat/completions', lines),
    );
    const ended = await waitForEnded(viaFiles, submitted.providerBatchId);
    const results = await readResults(viaFiles, ended);

    // Assess
    expect(ended.resultRefs).toHaveLength(2);
    expect(results.size).toBe(31);
    expect([...results.values()].filter((r) => r.status === 'succeeded')).toHaveLength(30);
    expect(results.get('f-no-messages')).toMatchObject({
      status: 'errored',
      error: { type: 'http_422', message: 'body.messages: Field required' },
      retryable: false,
    });
  });

  it('runs embeddings batches, priced at half the standard price', async () => {
    // Prepare
    const lines = ['e1', 'e2'].map((id) =>
      formatProviderLine('mistral', '/v1/embeddings', id, {
        model: 'mistral-embed',
        input: [`text ${id}`],
      }),
    );

    // Act
    const submitted = await inline.submit(submitInput('bl_mis_embed', '/v1/embeddings', lines));
    const ended = await waitForEnded(inline, submitted.providerBatchId);
    const results = await readResults(inline, ended);
    const e1 = results.get('e1');
    const usage = tokenUsageFromResponse('mistral', '/v1/embeddings', e1?.response);
    const price = (lane: 'batch' | 'realtime') =>
      priceRequest(
        { provider: 'mistral', model: 'mistral-embed', lane, usage, at: new Date() },
        defaultPriceTable,
      );

    // Assess
    expect(e1?.status).toBe('succeeded');
    expect(usage).toMatchObject({ outputTokens: 0 });
    expect(usage?.inputTokens).toBeGreaterThan(0);
    expect(price('batch')).toMatchObject({ basis: 'usage', billed_as: 'batch' });
    expect(price('batch').nano_usd * 2).toBe(price('realtime').nano_usd);
  });

  it('refuses a batch that mixes models or targets another endpoint, before anything is sent', async () => {
    const mixed = [line('x1'), line('x2', { model: 'mistral-medium-latest' })];
    await expect(
      inline.submit(submitInput('bl_mis_mixed', '/v1/chat/completions', mixed)),
    ).rejects.toMatchObject({ code: 'mixed_models' });
    await expect(
      inline.submit(submitInput('bl_mis_ep', '/v1/messages', [line('e1')])),
    ).rejects.toMatchObject({ code: 'unsupported_endpoint' });
    await expect(
      inline.submit(submitInput('bl_mis_empty', '/v1/chat/completions', [])),
    ).rejects.toBeInstanceOf(InvalidInputError);
  });

  it('cancels a running job: it ends CANCELLED with what finished, the rest without result', async () => {
    // Prepare
    const slow = withFaults({ processingMs: 60_000 });
    const submitted = await slow.submit(
      submitInput('bl_mis_cancel', '/v1/chat/completions', [line('c1'), line('c2')]),
    );

    // Act
    const cancelling = await slow.cancel(submitted.providerBatchId);
    const ended = await waitForEnded(slow, submitted.providerBatchId);
    const results = await readResults(slow, ended);

    // Assess
    expect(cancelling).toMatchObject({
      phase: 'running',
      providerStatus: 'CANCELLATION_REQUESTED',
    });
    expect(ended).toMatchObject({ phase: 'ended', providerStatus: 'CANCELLED' });
    expect(results.size).toBe(0);
  });

  it('reports a timed-out job as ended with the results it has', async () => {
    const expiring = withFaults({ expireAtFraction: 0.5 }, 0);
    const submitted = await expiring.submit(
      submitInput(
        'bl_mis_timeout',
        '/v1/chat/completions',
        Array.from({ length: 20 }, (_, i) => line(`t${i}`)),
      ),
    );
    const ended = await waitForEnded(expiring, submitted.providerBatchId);
    const results = await readResults(expiring, ended);

    expect(ended).toMatchObject({ phase: 'ended', providerStatus: 'TIMEOUT_EXCEEDED' });
    expect(results.size).toBeGreaterThan(0);
    expect(results.size).toBeLessThan(20);
  });

  it('deletes the files and the job, twice without error', async () => {
    const submitted = await viaFiles.submit(
      submitInput('bl_mis_delete', '/v1/chat/completions', [line('d1')]),
    );
    const ended = await waitForEnded(viaFiles, submitted.providerBatchId);

    await viaFiles.deleteArtifacts(submitted.providerBatchId);
    await viaFiles.deleteArtifacts(submitted.providerBatchId);

    await expect(viaFiles.retrieve(submitted.providerBatchId)).rejects.toBeInstanceOf(
      NotFoundError,
    );
    await expect(viaFiles.openResults(ended.resultRefs[0] ?? '')).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });

  it('finds the job it made for a batchlane batch by metadata, and nothing made before the hint', async () => {
    // Prepare
    const submitted = await inline.submit(
      submitInput('bl_mis_find', '/v1/chat/completions', [line('q1')]),
    );
    await inline.submit(submitInput('bl_mis_other', '/v1/chat/completions', [line('q2')]));

    // Act
    const found = await inline.findByBatchId('bl_mis_find', {
      submittedAfter: new Date(Date.now() - 60_000),
      requestCount: 1,
    });
    const tooLate = await inline.findByBatchId('bl_mis_find', {
      submittedAfter: new Date(Date.now() + 60_000),
      requestCount: 1,
    });
    const none = await inline.findByBatchId('bl_mis_never', {
      submittedAfter: new Date(0),
      requestCount: 1,
    });

    // Assess
    expect(found?.providerBatchId).toBe(submitted.providerBatchId);
    expect(tooLate).toBeNull();
    expect(none).toBeNull();
  });

  it("translates Mistral's errors: bad key, missing job, throttling, outages", async () => {
    const wrongKey = new MistralBatchProvider({ apiKey: 'wrong', baseUrl: sim.mistralBaseUrl });
    await expect(wrongKey.retrieve('abc')).rejects.toBeInstanceOf(AuthError);
    await expect(inline.retrieve('doesnotexist')).rejects.toBeInstanceOf(NotFoundError);

    const noRetries = new MistralBatchProvider({
      apiKey: API_KEY,
      baseUrl: sim.mistralBaseUrl,
      maxRetries: 0,
    });
    sim.setFaults({ http: { rate: 1, statuses: [429], pathPattern: '^/mistral/v1/batch/' } });
    const throttled = await noRetries.retrieve('abc').catch((error: unknown) => error);
    expect(throttled).toBeInstanceOf(ThrottledError);
    expect(throttled).toMatchObject({ retryable: true, retryAfterMs: 20 });
    sim.setFaults({ http: { rate: 1, statuses: [503], pathPattern: '^/mistral/v1/batch/' } });
    await expect(noRetries.retrieve('abc')).rejects.toBeInstanceOf(UnavailableError);
  });
});

describe('MistralRealtimeProvider against the simulator', () => {
  const realtime = (): MistralRealtimeProvider =>
    new MistralRealtimeProvider({
      apiKey: API_KEY,
      baseUrl: sim.mistralBaseUrl,
      retry: { initialDelayMs: 5, maxDelayMs: 10 },
    });

  it('sends the producer body as written and delivers the wire response, at standard price', async () => {
    // Act
    const outcome = await realtime().invoke({
      endpoint: '/v1/chat/completions',
      body: {
        model: 'mistral-small-latest',
        max_tokens: 12,
        messages: [{ role: 'user', content: 'Hello' }],
      },
      lane: 'flex',
      deadline: new Date(Date.now() + 60_000),
    });
    const usage = tokenUsageFromResponse('mistral', '/v1/chat/completions', outcome.response);

    // Assess: snake_case wire fields, and max_tokens reached the simulator.
    expect(outcome).toMatchObject({
      status: 'succeeded',
      serviceTier: 'standard',
      model: 'mistral-small-latest',
      httpAttempts: 1,
      response: { object: 'chat.completion', usage: { prompt_tokens: expect.any(Number) } },
    });
    expect(usage?.outputTokens).toBeLessThanOrEqual(12);
    expect(realtime().supportsFlex).toBe(false);
  });

  it('serves embeddings and FIM', async () => {
    const provider = realtime();
    const [embed, fim] = await Promise.all([
      provider.invoke({
        endpoint: '/v1/embeddings',
        body: { model: 'mistral-embed', input: ['a', 'b', 'c'] },
        lane: 'realtime',
      }),
      provider.invoke({
        endpoint: '/v1/fim/completions',
        body: { model: 'codestral-latest', prompt: 'def add(a, b):', suffix: 'return c' },
        lane: 'realtime',
      }),
    ]);
    expect(embed).toMatchObject({ status: 'succeeded', response: { object: 'list' } });
    expect((embed.response as { data: unknown[] }).data).toHaveLength(3);
    expect(fim).toMatchObject({ status: 'succeeded', response: { object: 'chat.completion' } });
  });

  it('gives a refused request its own error and retries an outage', async () => {
    const provider = realtime();
    const refused = await provider.invoke({
      endpoint: '/v1/chat/completions',
      body: { model: 'nope-model', messages: [{ role: 'user', content: 'x' }] },
      lane: 'realtime',
    });
    expect(refused).toMatchObject({
      status: 'errored',
      error: { type: 'invalid_model', message: 'Invalid model: nope-model' },
      retryable: false,
    });

    sim.setFaults({
      http: { rate: 1, statuses: [503], pathPattern: '^/mistral/v1/chat', maxPerRequest: 1 },
    });
    const recovered = await provider.invoke({
      endpoint: '/v1/chat/completions',
      body: { model: 'mistral-small-latest', messages: [{ role: 'user', content: 'x' }] },
      lane: 'realtime',
    });
    expect(recovered).toMatchObject({ status: 'succeeded', httpAttempts: 2 });
  });
});
