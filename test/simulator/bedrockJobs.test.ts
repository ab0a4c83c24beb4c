import {
  BedrockClient,
  ConflictException,
  CreateModelInvocationJobCommand,
  type CreateModelInvocationJobCommandInput,
  GetModelInvocationJobCommand,
  ListModelInvocationJobsCommand,
  paginateListModelInvocationJobs,
  ResourceNotFoundException,
  ServiceQuotaExceededException,
  StopModelInvocationJobCommand,
  ValidationException,
} from '@aws-sdk/client-bedrock';
import {
  BedrockRuntimeClient,
  ConverseCommand,
  InvokeModelCommand,
  ValidationException as RuntimeValidationException,
} from '@aws-sdk/client-bedrock-runtime';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSimulator, startSimulator } from '../../local/simulator/startSimulator.js';
import {
  type EventBridgeStub,
  startEventBridgeStub,
} from '../../local/stack/emulators/startEventBridgeStub.js';
import { type FauxqsEmulator, startFauxqs } from '../../local/stack/emulators/startFauxqs.js';
import { waitFor } from './simulatorTestKit.js';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const region = 'us-east-1';
const ROLE = 'arn:aws:iam::000000000000:role/BedrockBatch';
const CLAUDE = 'us.anthropic.claude-haiku-4-5-20251001-v1:0';
const NOVA = 'amazon.nova-lite-v1:0';
const BUCKET = 'bedrock-sim-test';

interface BedrockOutputLine {
  readonly recordId: string;
  readonly error?: { readonly errorCode: number };
  readonly modelOutput?: { readonly usage: { readonly input_tokens: number } };
}
interface JobEvent {
  readonly batchJobArn: string;
  readonly status: string;
}

let s3Emulator: FauxqsEmulator;
let events: EventBridgeStub;
let sim: RunningSimulator;
let s3: S3Client;
let bedrock: BedrockClient;
let runtime: BedrockRuntimeClient;

const claudeInput = (text: string) => ({
  anthropic_version: 'bedrock-2023-05-31',
  max_tokens: 64,
  messages: [{ role: 'user', content: [{ type: 'text', text }] }],
});

/** Writes `count` records (the first `bad` without `anthropic_version`) as one input file. */
const putInput = async (key: string, count: number, bad = 0): Promise<string> => {
  const lines = Array.from({ length: count }, (_, i) =>
    JSON.stringify({
      recordId: `REC${String(i).padStart(8, '0')}`,
      modelInput: i < bad ? { max_tokens: 10, messages: [] } : claudeInput(`question ${i}`),
    }),
  );
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: `${lines.join('\n')}\n` }));
  return `s3://${BUCKET}/${key}`;
};

let jobSeq = 0;
const jobInput = (
  inputUri: string,
  overrides: Partial<CreateModelInvocationJobCommandInput> = {},
): CreateModelInvocationJobCommandInput => {
  jobSeq += 1;
  return {
    jobName: `sim-test-${jobSeq}`,
    roleArn: ROLE,
    clientRequestToken: `token-${jobSeq}`,
    modelId: CLAUDE,
    inputDataConfig: { s3InputDataConfig: { s3Uri: inputUri, s3InputFormat: 'JSONL' } },
    outputDataConfig: { s3OutputDataConfig: { s3Uri: `s3://${BUCKET}/out-${jobSeq}/` } },
    timeoutDurationInHours: 24,
    ...overrides,
  };
};

const waitForStatus = async (jobArn: string, statuses: readonly string[]) =>
  waitFor(
    () => bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn })),
    (job) => statuses.includes(job.status ?? ''),
  );

const readText = async (key: string): Promise<string> => {
  const object = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return (await object.Body?.transformToString()) ?? '';
};

beforeAll(async () => {
  s3Emulator = await startFauxqs({ port: 0 });
  events = await startEventBridgeStub({ port: 0 });
  sim = await startSimulator({
    port: 0,
    processingMs: 400,
    limits: { bedrockMinRecords: 5, bedrockMaxRecords: 40, bedrockJobsPerModel: 2 },
    bedrock: { s3Endpoint: s3Emulator.endpoint, eventBridgeEndpoint: events.endpoint },
  });
  s3 = new S3Client({ endpoint: s3Emulator.endpoint, region, credentials, forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  bedrock = new BedrockClient({ endpoint: sim.bedrockEndpoint, region, credentials });
  runtime = new BedrockRuntimeClient({ endpoint: sim.bedrockEndpoint, region, credentials });
});

afterAll(async () => {
  await sim?.stop();
  await events?.stop();
  await s3Emulator?.stop();
});

describe('Simulator: Bedrock batch inference through @aws-sdk/client-bedrock', () => {
  it('runs a job from S3 input to .jsonl.out and manifest.json.out, with an event per status', async () => {
    // Prepare
    const inputUri = await putInput('jobs/a/records.jsonl', 8, 2);

    // Act
    const { jobArn } = await bedrock.send(new CreateModelInvocationJobCommand(jobInput(inputUri)));
    const job = await waitForStatus(jobArn ?? '', ['Completed']);

    // Assess
    expect(jobArn).toMatch(/^arn:aws:bedrock:us-east-1:\d{12}:model-invocation-job\/[a-z0-9]{12}$/);
    expect(job).toMatchObject({ modelId: CLAUDE, roleArn: ROLE, timeoutDurationInHours: 24 });
    expect(job.submitTime).toBeInstanceOf(Date);
    expect(job.endTime).toBeInstanceOf(Date);
    const jobId = (jobArn ?? '').split('/').pop() ?? '';
    const outPrefix = `${job.outputDataConfig?.s3OutputDataConfig?.s3Uri?.replace(`s3://${BUCKET}/`, '')}${jobId}/`;
    const lines = (await readText(`${outPrefix}records.jsonl.out`))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as BedrockOutputLine);
    expect(lines).toHaveLength(8);
    const errored = lines.filter((line) => line.error !== undefined);
    expect(errored.map((line) => line.recordId).sort()).toEqual(['REC00000000', 'REC00000001']);
    expect(errored[0]?.error).toMatchObject({ errorCode: 400 });
    const ok = lines.find((line) => line.recordId === 'REC00000005');
    expect(ok?.modelOutput).toMatchObject({ type: 'message', role: 'assistant' });
    expect(ok?.modelOutput?.usage.input_tokens).toBeGreaterThan(0);
    const manifest = JSON.parse(await readText(`${outPrefix}manifest.json.out`));
    expect(manifest).toMatchObject({
      totalRecordCount: 8,
      processedRecordCount: 8,
      successRecordCount: 6,
      errorRecordCount: 2,
    });
    const statuses = events
      .events()
      .filter((e) => e.source === 'aws.bedrock' && (e.detail as JobEvent).batchJobArn === jobArn)
      .map((e) => (e.detail as JobEvent).status);
    expect(statuses).toEqual(['Submitted', 'Validating', 'Scheduled', 'InProgress', 'Completed']);
    const last = events.events().at(-1);
    expect(last?.['detail-type']).toBe('Batch Inference Job State Change');
    expect(last?.resources).toEqual([jobArn]);
  });

  it('returns the same job for a repeated clientRequestToken', async () => {
    const inputUri = await putInput('jobs/b/records.jsonl', 6);
    const input = jobInput(inputUri);

    const first = await bedrock.send(new CreateModelInvocationJobCommand(input));
    const again = await bedrock.send(new CreateModelInvocationJobCommand(input));

    expect(again.jobArn).toBe(first.jobArn);
    await waitForStatus(first.jobArn ?? '', ['Completed']);
  });

  it('fails a job below the minimum or above the maximum number of records in validation', async () => {
    const few = await bedrock.send(
      new CreateModelInvocationJobCommand(jobInput(await putInput('jobs/c/few.jsonl', 4))),
    );
    const many = await bedrock.send(
      new CreateModelInvocationJobCommand(jobInput(await putInput('jobs/c2/many.jsonl', 41))),
    );

    const failedFew = await waitForStatus(few.jobArn ?? '', ['Failed', 'Completed']);
    const failedMany = await waitForStatus(many.jobArn ?? '', ['Failed', 'Completed']);

    expect(failedFew.status).toBe('Failed');
    expect(failedFew.message).toMatch(/fewer than the minimum of 5/);
    expect(failedMany.status).toBe('Failed');
    expect(failedMany.message).toMatch(/more than the maximum of 40/);
  });

  it('refuses bad parameters with ValidationException, and unknown jobs with ResourceNotFoundException', async () => {
    const inputUri = await putInput('jobs/d/records.jsonl', 6);

    await expect(
      bedrock.send(
        new CreateModelInvocationJobCommand(jobInput(inputUri, { timeoutDurationInHours: 12 })),
      ),
    ).rejects.toBeInstanceOf(ValidationException);
    await expect(
      bedrock.send(
        new CreateModelInvocationJobCommand(jobInput(inputUri, { jobName: 'has_underscore' })),
      ),
    ).rejects.toBeInstanceOf(ValidationException);
    await expect(
      bedrock.send(
        new CreateModelInvocationJobCommand(jobInput(inputUri, { modelId: 'acme.unknown-v1' })),
      ),
    ).rejects.toBeInstanceOf(ValidationException);
    await expect(
      bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: 'abcdefabcdef' })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(
      bedrock.send(new ListModelInvocationJobsCommand({ maxResults: 5000 })),
    ).rejects.toBeInstanceOf(ValidationException);
  });

  it('holds the per-model quota of concurrent jobs with ServiceQuotaExceededException', async () => {
    const inputUri = await putInput('jobs/e/records.jsonl', 6);
    const model = 'anthropic.claude-sonnet-4-5-20250929-v1:0';
    const a = await bedrock.send(
      new CreateModelInvocationJobCommand(jobInput(inputUri, { modelId: model })),
    );
    const b = await bedrock.send(
      new CreateModelInvocationJobCommand(jobInput(inputUri, { modelId: model })),
    );

    const third = bedrock.send(
      new CreateModelInvocationJobCommand(jobInput(inputUri, { modelId: model })),
    );

    await expect(third).rejects.toBeInstanceOf(ServiceQuotaExceededException);
    await expect(third).rejects.toMatchObject({ $metadata: { httpStatusCode: 400, attempts: 1 } });
    await waitForStatus(a.jobArn ?? '', ['Completed']);
    await waitForStatus(b.jobArn ?? '', ['Completed']);
    const fourth = await bedrock.send(
      new CreateModelInvocationJobCommand(jobInput(inputUri, { modelId: model })),
    );
    expect(fourth.jobArn).toBeDefined();
  });

  it('stops a running job (Stopping, then Stopped) and refuses to stop an ended one with ConflictException', async () => {
    const inputUri = await putInput('jobs/f/records.jsonl', 6);
    const { jobArn } = await bedrock.send(
      new CreateModelInvocationJobCommand(jobInput(inputUri, { modelId: NOVA })),
    );

    const stopped = await bedrock.send(
      new StopModelInvocationJobCommand({ jobIdentifier: jobArn }),
    );
    const job = await waitForStatus(jobArn ?? '', ['Stopped']);

    expect(stopped.$metadata.httpStatusCode).toBe(200);
    expect(job.status).toBe('Stopped');
    await expect(
      bedrock.send(new StopModelInvocationJobCommand({ jobIdentifier: jobArn })),
    ).rejects.toBeInstanceOf(ConflictException);
  });

  it('ends jobs Expired or PartiallyCompleted, as fault injection asks', async () => {
    const inputUri = await putInput('jobs/g/records.jsonl', 20);
    sim.setFaults({ bedrock: { expireJobs: true } });
    const expired = await bedrock.send(
      new CreateModelInvocationJobCommand(jobInput(inputUri, { modelId: NOVA })),
    );
    sim.setFaults({ bedrock: { partialAtFraction: 0.5 } });
    const partial = await bedrock.send(
      new CreateModelInvocationJobCommand(jobInput(inputUri, { modelId: NOVA })),
    );
    sim.setFaults({});

    const expiredJob = await waitForStatus(expired.jobArn ?? '', ['Expired']);
    const partialJob = await waitForStatus(partial.jobArn ?? '', ['PartiallyCompleted']);

    expect(expiredJob.status).toBe('Expired');
    const outUri = partialJob.outputDataConfig?.s3OutputDataConfig?.s3Uri ?? '';
    const id = (partial.jobArn ?? '').split('/').pop();
    const lines = (
      await readText(`${outUri.replace(`s3://${BUCKET}/`, '')}${id}/records.jsonl.out`)
    )
      .trim()
      .split('\n');
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThan(20);
    const expiredOutput = await s3.send(
      new ListObjectsV2Command({
        Bucket: BUCKET,
        Prefix: `${(expiredJob.outputDataConfig?.s3OutputDataConfig?.s3Uri ?? '').replace(`s3://${BUCKET}/`, '')}`,
      }),
    );
    expect(expiredOutput.Contents ?? []).toHaveLength(0);
  });

  it('lists jobs with filters and pagination, as the SDK paginator reads them', async () => {
    const names: string[] = [];
    for await (const page of paginateListModelInvocationJobs(
      { client: bedrock, pageSize: 2 },
      { nameContains: 'sim-test-', sortOrder: 'Ascending' },
    )) {
      expect(page.invocationJobSummaries?.length).toBeLessThanOrEqual(2);
      for (const job of page.invocationJobSummaries ?? []) names.push(job.jobName ?? '');
    }
    const completed = await bedrock.send(
      new ListModelInvocationJobsCommand({ statusEquals: 'Completed', nameContains: 'sim-test-' }),
    );

    expect(names.length).toBeGreaterThanOrEqual(8);
    expect(names.length).toBe(new Set(names).size);
    expect(completed.invocationJobSummaries?.every((job) => job.status === 'Completed')).toBe(true);
    expect(completed.invocationJobSummaries?.length).toBeGreaterThan(0);
    expect(completed.invocationJobSummaries?.length).toBeLessThan(names.length);
  });
});

describe('Simulator: Bedrock runtime through @aws-sdk/client-bedrock-runtime', () => {
  it('answers InvokeModel with the model family native response and token headers', async () => {
    const response = await runtime.send(
      new InvokeModelCommand({
        modelId: CLAUDE,
        contentType: 'application/json',
        body: new TextEncoder().encode(JSON.stringify(claudeInput('Hello'))),
      }),
    );
    const body = JSON.parse(new TextDecoder().decode(response.body));

    expect(body).toMatchObject({ type: 'message', role: 'assistant' });
    expect(body.usage.input_tokens).toBeGreaterThan(0);
    const nova = await runtime.send(
      new InvokeModelCommand({
        modelId: NOVA,
        body: new TextEncoder().encode(
          JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'Hi' }] }] }),
        ),
      }),
    );
    const novaBody = JSON.parse(new TextDecoder().decode(nova.body));
    expect(novaBody.output.message.content[0].text).toEqual(expect.any(String));
    expect(novaBody.usage.inputTokens).toBeGreaterThan(0);
  });

  it('answers Converse, and refuses a malformed native body with ValidationException', async () => {
    const converse = await runtime.send(
      new ConverseCommand({
        modelId: NOVA,
        messages: [{ role: 'user', content: [{ text: 'Summarise this.' }] }],
        inferenceConfig: { maxTokens: 32 },
      }),
    );

    expect(converse.output?.message?.content?.[0]?.text).toEqual(expect.any(String));
    expect(converse.usage?.outputTokens).toBeLessThanOrEqual(32);
    await expect(
      runtime.send(
        new InvokeModelCommand({
          modelId: CLAUDE,
          body: new TextEncoder().encode(JSON.stringify({ messages: [] })),
        }),
      ),
    ).rejects.toBeInstanceOf(RuntimeValidationException);
  });

  it('injects throttling that the AWS SDK retries on its own', async () => {
    sim.setFaults({ http: { rate: 1, statuses: [429], pathPattern: '^/model/' } });
    const response = await runtime.send(
      new InvokeModelCommand({
        modelId: CLAUDE,
        body: new TextEncoder().encode(JSON.stringify(claudeInput('Hi'))),
      }),
    );
    sim.setFaults({});

    expect(response.$metadata.attempts).toBe(2);
  });
});
