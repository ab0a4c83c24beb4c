import { BedrockClient, GetModelInvocationJobCommand } from '@aws-sdk/client-bedrock';
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type RunningSimulator, startSimulator } from '../../../local/simulator/startSimulator.js';
import { S3BlobStore } from '../../../shared/adapters/aws/S3BlobStore.js';
import { BedrockBatchProvider } from '../../../shared/adapters/providers/BedrockBatchProvider.js';
import { BedrockRealtimeProvider } from '../../../shared/adapters/providers/BedrockRealtimeProvider.js';
import { systemClock } from '../../../shared/adapters/system/systemClock.js';
import { clientRequestTokenOf, unansweredStatusOf } from '../../../shared/domain/bedrockJobs.js';
import { InvalidInputError, ThrottledError } from '../../../shared/domain/errors.js';
import { formatProviderLine } from '../../../shared/domain/formatProviderLine.js';
import { tokenUsageFromResponse } from '../../../shared/domain/pricing/TokenUsage.js';
import { createBucket, emulatorClients } from '../aws/awsTestKit.js';
import { readLines, readResults, submitInput, waitForEnded } from './providerTestKit.js';

const CLAUDE = 'us.anthropic.claude-haiku-4-5-20251001-v1:0';
const NOVA = 'amazon.nova-micro-v1:0';
const ROLE = 'arn:aws:iam::000000000000:role/batchlane-bedrock-batch';
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

const clients = emulatorClients();
let sim: RunningSimulator;
let files: S3BlobStore;
let provider: BedrockBatchProvider;

/** Batchlane's stored lines for `count` Claude requests (the first `bad` malformed). */
const claudeLines = (count: number, bad = 0): string[] =>
  Array.from({ length: count }, (_, i) =>
    formatProviderLine(
      'bedrock',
      '/model/invoke',
      `r${String(i).padStart(6, '0')}`,
      i < bad
        ? { max_tokens: 16, messages: [] }
        : {
            anthropic_version: 'bedrock-2023-05-31',
            max_tokens: 64,
            messages: [{ role: 'user', content: [{ type: 'text', text: `question ${i}` }] }],
          },
    ),
  );

let batchSeq = 0;
const batchInput = (lines: string[], model = CLAUDE, answerBy: string | null = null) => {
  batchSeq += 1;
  return {
    ...submitInput(`bl_0test${batchSeq}abc`, '/model/invoke', lines),
    models: [model],
    answerBy,
  };
};

beforeAll(async () => {
  const s3Endpoint = inject('awsEnv').AWS_ENDPOINT_URL_S3;
  sim = await startSimulator({
    port: 0,
    processingMs: 300,
    limits: { bedrockMinRecords: 5, bedrockJobsPerModel: 2 },
    bedrock: { s3Endpoint },
  });
  const bucket = await createBucket(clients, 'bedrock-provider');
  files = new S3BlobStore({ client: clients.s3, bucket });
  provider = new BedrockBatchProvider({
    client: new BedrockClient({ endpoint: sim.bedrockEndpoint, region: 'us-east-1', credentials }),
    files,
    roleArn: ROLE,
    clock: systemClock,
  });
});

afterAll(async () => {
  await sim?.stop();
});

describe('Adapter: BedrockBatchProvider against the simulator and the S3 emulator', () => {
  it('writes the records to the bucket, runs one job for the model and reads every verdict back', async () => {
    const input = batchInput(claudeLines(8, 2));

    const submitted = await provider.submit(input);
    const ended = await waitForEnded(provider, submitted.providerBatchId);
    const results = await readResults(provider, ended);

    expect(submitted.phase).toBe('running');
    expect(submitted.providerBatchId).toMatch(/:model-invocation-job\/[a-z0-9]{12}$/);
    expect(ended).toMatchObject({ phase: 'ended', providerStatus: 'Completed', failure: null });
    expect(ended.resultRefs).toHaveLength(1);
    expect(ended.resultRefs[0]).toMatch(
      /^bedrock\/bl_0test\d+abc\/output\/[a-z0-9]{12}\/records\.jsonl\.out$/,
    );
    expect(results.size).toBe(8);
    expect(results.get('r000000')).toMatchObject({
      status: 'errored',
      retryable: false,
      error: { type: 'bedrock_error_400' },
    });
    const ok = results.get('r000005');
    expect(ok).toMatchObject({ status: 'succeeded', retryable: false });
    expect(ok?.usage?.input_tokens).toBeGreaterThan(0);
    const [first] = await readLines(
      await files.getStream(`bedrock/${input.batchId}/input/records.jsonl`),
    );
    const record = JSON.parse(first ?? '{}') as Record<string, unknown>;
    expect(Object.keys(record)).toEqual(['recordId', 'modelInput']);
  });

  it('makes one job per batch however often the submission is repeated, and finds it by batch id', async () => {
    const input = batchInput(claudeLines(6), NOVA);

    const first = await provider.submit(input);
    const again = await provider.submit(input);
    const found = await provider.findByBatchId(input.batchId, {
      submittedAfter: new Date(Date.now() - 60_000),
      requestCount: 6,
    });

    expect(again.providerBatchId).toBe(first.providerBatchId);
    expect(found?.providerBatchId).toBe(first.providerBatchId);
    expect(clientRequestTokenOf(input.batchId)).toMatch(/^[a-zA-Z0-9-]+$/);
    await expect(
      provider.findByBatchId('bl_0neversubmitted', {
        submittedAfter: new Date(Date.now() - 60_000),
        requestCount: 6,
      }),
    ).resolves.toBeNull();
    await waitForEnded(provider, first.providerBatchId);
  });

  it('turns the concurrent-jobs quota into a wait, and an unknown model into a refusal', async () => {
    const model = 'anthropic.claude-sonnet-4-5-20250929-v1:0';
    const a = await provider.submit(batchInput(claudeLines(5), model));
    const b = await provider.submit(batchInput(claudeLines(5), model));

    const third = provider.submit(batchInput(claudeLines(5), model));

    await expect(third).rejects.toBeInstanceOf(ThrottledError);
    await expect(third).rejects.toMatchObject({ code: 'job_quota', retryAfterMs: 300_000 });
    await expect(
      provider.submit(batchInput(claudeLines(5), 'acme.nothing-v1')),
    ).rejects.toBeInstanceOf(InvalidInputError);
    await expect(
      provider.submit({ ...batchInput(claudeLines(5)), models: [CLAUDE, NOVA] }),
    ).rejects.toMatchObject({ code: 'one_model_per_job' });
    await waitForEnded(provider, a.providerBatchId);
    await waitForEnded(provider, b.providerBatchId);
  });

  it('reports a job that failed validation (below the minimum) as a whole-batch failure', async () => {
    const submitted = await provider.submit(batchInput(claudeLines(3)));
    const ended = await waitForEnded(provider, submitted.providerBatchId);

    expect(ended).toMatchObject({ providerStatus: 'Failed', resultRefs: [] });
    expect(ended.failure?.message).toMatch(/fewer than the minimum of 5/);
  });

  it('ends an Expired job with no output, whose members the verdict calls expired', async () => {
    sim.setFaults({ bedrock: { expireJobs: true } });
    const submitted = await provider.submit(batchInput(claudeLines(6), NOVA));
    sim.setFaults({});

    const ended = await waitForEnded(provider, submitted.providerBatchId);

    expect(ended).toMatchObject({ providerStatus: 'Expired', failure: null, resultRefs: [] });
    expect(unansweredStatusOf(ended.providerStatus)).toBe('expired');
  });

  it('stops a job, and deletes its files once archived', async () => {
    const input = batchInput(claudeLines(6), NOVA);
    const submitted = await provider.submit(input);

    const stopping = await provider.cancel(submitted.providerBatchId);
    const ended = await waitForEnded(provider, submitted.providerBatchId);
    await provider.deleteArtifacts(submitted.providerBatchId);

    expect(['Stopping', 'Stopped']).toContain(stopping.providerStatus);
    expect(ended.providerStatus).toBe('Stopped');
    expect(unansweredStatusOf(ended.providerStatus)).toBe('canceled');
    const left: string[] = [];
    for await (const key of files.list(`bedrock/${input.batchId}/`)) left.push(key);
    expect(left).toEqual([]);
  });

  it('asks Bedrock for as long as the batch deadline allows, within 24 to 168 hours', async () => {
    const answerBy = new Date(Date.now() + 50 * 3_600_000).toISOString();
    const submitted = await provider.submit(batchInput(claudeLines(5), NOVA, answerBy));
    const job = await new BedrockClient({
      endpoint: sim.bedrockEndpoint,
      region: 'us-east-1',
      credentials,
    }).send(new GetModelInvocationJobCommand({ jobIdentifier: submitted.providerBatchId }));

    expect(job.timeoutDurationInHours).toBe(49);
    await waitForEnded(provider, submitted.providerBatchId);
  });
});

describe('Adapter: BedrockRealtimeProvider against the simulator', () => {
  it('invokes the model with its native body and reads the usage pricing uses', async () => {
    const realtime = new BedrockRealtimeProvider({
      client: new BedrockRuntimeClient({
        endpoint: sim.bedrockEndpoint,
        region: 'us-east-1',
        credentials,
      }),
    });

    const outcome = await realtime.invoke({
      endpoint: '/model/invoke',
      model: NOVA,
      body: { messages: [{ role: 'user', content: [{ text: 'Hello' }] }] },
      lane: 'realtime',
    });
    const refused = await realtime.invoke({
      endpoint: '/model/invoke',
      model: CLAUDE,
      body: { messages: [] },
      lane: 'realtime',
    });

    expect(outcome).toMatchObject({ status: 'succeeded', model: NOVA, retryable: false });
    expect(
      tokenUsageFromResponse('bedrock', '/model/invoke', outcome.response)?.inputTokens,
    ).toBeGreaterThan(0);
    expect(refused).toMatchObject({
      status: 'errored',
      error: { type: 'ValidationException' },
      retryable: false,
    });
  });
});
