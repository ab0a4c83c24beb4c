import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { SimContext } from '../SimContext.js';
import { hashId, hashUnit } from '../seededRandom.js';
import {
  fakeModelOutput,
  familyOf,
  type ModelFamily,
  modelInputProblem,
} from './fakeBedrockOutput.js';

/** Where the simulated jobs read and write S3, and where their events go. */
interface BedrockSimEnvironment {
  /** The S3 endpoint jobs read their input from and write their output to (an emulator). */
  readonly s3Endpoint?: string;
  /** The EventBridge endpoint job state changes are put to (the default bus). */
  readonly eventBridgeEndpoint?: string;
  readonly region?: string;
}

const ACCOUNT = '000000000000';

/** Statuses in which a job counts against the per-model quota and may be stopped. */
const ACTIVE: readonly string[] = [
  'Submitted',
  'Validating',
  'Scheduled',
  'InProgress',
  'Stopping',
];
const STOPPABLE: readonly string[] = ['Submitted', 'Validating', 'Scheduled', 'InProgress'];

interface SimRecord {
  readonly recordId: string;
  readonly modelInput: unknown;
}

interface SimJob {
  readonly arn: string;
  readonly id: string;
  readonly name: string;
  readonly modelId: string;
  readonly family: ModelFamily;
  readonly token: string;
  readonly roleArn: string;
  readonly inputUri: string;
  readonly outputUri: string;
  readonly timeoutHours: number;
  readonly invocationType: string;
  readonly submitTime: number;
  readonly processingMs: number;
  /** Faults fixed at create, so changing the simulator's later does not change the job. */
  readonly faults: BedrockJobFaults;
  status: string;
  message: string | null;
  lastModified: number;
  endTime: number | null;
  stopAt: number | null;
  counts: { total: number; processed: number; success: number; error: number } | null;
  /** Input read at validation: file name → records. */
  files: { name: string; records: SimRecord[] }[];
}

/** Fault knobs of Bedrock jobs (`faults.bedrock`). */
interface BedrockJobFaults {
  /** Fraction of records answered with a per-record 500 error line. */
  readonly recordErrorRate?: number;
  /** Jobs never leave `Scheduled` and end `Expired`. */
  readonly expireJobs?: boolean;
  /** Jobs run out of time after this fraction of their records: `PartiallyCompleted`. */
  readonly partialAtFraction?: number;
  /** Jobs fail in validation with this message. */
  readonly failJobsWith?: string;
}

class BedrockSimError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

const validation = (message: string): BedrockSimError =>
  new BedrockSimError(400, 'ValidationException', message);

const parseS3Uri = (uri: string): { bucket: string; key: string } => {
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(uri);
  if (match === null) throw validation(`Invalid S3 URI: ${uri}`);
  return { bucket: match[1] ?? '', key: match[2] ?? '' };
};

const JOB_NAME = /^[a-zA-Z0-9]{1,63}(-*[a-zA-Z0-9+\-.]){0,63}$/;
const ROLE_ARN = /^arn:aws(-[^:]+)?:iam::([0-9]{12})?:role\/.+$/;
const TOKEN = /^[a-zA-Z0-9]{1,256}(-*[a-zA-Z0-9]){0,256}$/;
const JOB_IDENTIFIER =
  /^((arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:model-invocation-job\/)?[a-z0-9]{12})$/;

/**
 * Bedrock batch inference jobs, simulated: create (idempotent on `clientRequestToken`), get,
 * list, stop; each job validates its S3 input (format, record counts), waits its turn, runs
 * and writes `<input>.out` and `manifest.json.out` to S3, publishing "Batch Inference Job
 * State Change" on every status change. Time is the simulator's clock; a ticker moves jobs
 * on even when nobody asks about them, so their events flow as Bedrock's do.
 */
class BedrockJobs {
  readonly #ctx: SimContext;
  readonly #jobs = new Map<string, SimJob>();
  readonly #s3: S3Client | null;
  readonly #events: EventBridgeClient | null;
  readonly #region: string;
  readonly #ticker: NodeJS.Timeout;
  #seq = 0;
  /** Each job's transitions run one at a time (they read and write S3). */
  readonly #advancing = new Map<string, Promise<void>>();
  /** Events put, and how many failed (best effort, as Bedrock's). */
  readonly published = { ok: 0, failed: 0 };

  constructor(ctx: SimContext, env: BedrockSimEnvironment) {
    this.#ctx = ctx;
    this.#region = env.region ?? 'us-east-1';
    const credentials = { accessKeyId: 'simulator', secretAccessKey: 'simulator' };
    this.#s3 =
      env.s3Endpoint === undefined
        ? null
        : new S3Client({
            endpoint: env.s3Endpoint,
            region: this.#region,
            forcePathStyle: true,
            credentials,
          });
    this.#events =
      env.eventBridgeEndpoint === undefined
        ? null
        : new EventBridgeClient({
            endpoint: env.eventBridgeEndpoint,
            region: this.#region,
            credentials,
          });
    this.#ticker = setInterval(() => {
      void this.advanceAll();
    }, 50);
    this.#ticker.unref();
  }

  stop(): void {
    clearInterval(this.#ticker);
    this.#s3?.destroy();
    this.#events?.destroy();
  }

  async create(body: Record<string, unknown>): Promise<string> {
    const token = typeof body.clientRequestToken === 'string' ? body.clientRequestToken : null;
    if (token !== null && !TOKEN.test(token)) throw validation('clientRequestToken is invalid');
    if (token !== null) {
      const same = [...this.#jobs.values()].find((job) => job.token === token);
      // Bedrock ignores a repeated request with the same token: the first job stands.
      if (same !== undefined) return same.arn;
    }
    const name = body.jobName;
    if (typeof name !== 'string' || !JOB_NAME.test(name)) {
      throw validation(
        `1 validation error detected: Value at 'jobName' failed to satisfy constraint`,
      );
    }
    const roleArn = body.roleArn;
    if (typeof roleArn !== 'string' || !ROLE_ARN.test(roleArn)) {
      throw validation(
        `1 validation error detected: Value at 'roleArn' failed to satisfy constraint`,
      );
    }
    const modelId = body.modelId;
    const family = typeof modelId === 'string' ? familyOf(modelId) : null;
    if (typeof modelId !== 'string' || family === null) {
      throw validation('The provided model identifier is invalid.');
    }
    const timeoutHours = body.timeoutDurationInHours ?? 168;
    if (typeof timeoutHours !== 'number' || timeoutHours < 24 || timeoutHours > 168) {
      throw validation(
        `1 validation error detected: Value '${String(timeoutHours)}' at 'timeoutDurationInHours' failed to satisfy constraint: Member must have value between 24 and 168`,
      );
    }
    const input = (body.inputDataConfig as { s3InputDataConfig?: Record<string, unknown> })
      ?.s3InputDataConfig;
    const output = (body.outputDataConfig as { s3OutputDataConfig?: Record<string, unknown> })
      ?.s3OutputDataConfig;
    if (typeof input?.s3Uri !== 'string' || typeof output?.s3Uri !== 'string') {
      throw validation(
        'inputDataConfig.s3InputDataConfig and outputDataConfig.s3OutputDataConfig are required',
      );
    }
    if (input.s3InputFormat !== undefined && input.s3InputFormat !== 'JSONL') {
      throw validation(
        `Value '${String(input.s3InputFormat)}' at 's3InputFormat' failed to satisfy constraint: Member must satisfy enum value set: [JSONL]`,
      );
    }
    parseS3Uri(input.s3Uri);
    parseS3Uri(output.s3Uri);
    const invocationType = body.modelInvocationType ?? 'InvokeModel';
    if (invocationType !== 'InvokeModel' && invocationType !== 'Converse') {
      throw validation('modelInvocationType must be InvokeModel or Converse');
    }
    if ([...this.#jobs.values()].some((job) => job.name === name)) {
      throw new BedrockSimError(400, 'ConflictException', `A job named ${name} already exists`);
    }
    const running = [...this.#jobs.values()].filter(
      (job) => job.modelId === modelId && ACTIVE.includes(job.status),
    ).length;
    if (running >= this.#ctx.limits.bedrockJobsPerModel) {
      throw new BedrockSimError(
        400,
        'ServiceQuotaExceededException',
        `You have reached the maximum number of in-progress and submitted batch inference jobs (${this.#ctx.limits.bedrockJobsPerModel}) for model ${modelId}`,
      );
    }
    this.#seq += 1;
    const id = hashId(12, this.#ctx.seed, 'bedrock-job', this.#seq)
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '0');
    const now = this.#ctx.clock.now();
    const faults = this.#ctx.faults.bedrock ?? {};
    const job: SimJob = {
      arn: `arn:aws:bedrock:${this.#region}:${ACCOUNT}:model-invocation-job/${id}`,
      id,
      name,
      modelId,
      family,
      token: token ?? `auto-${id}`,
      roleArn,
      inputUri: input.s3Uri,
      outputUri: output.s3Uri,
      timeoutHours,
      invocationType: String(invocationType),
      submitTime: now,
      processingMs: this.#ctx.processingMs,
      faults,
      status: 'Submitted',
      message: null,
      lastModified: now,
      endTime: null,
      stopAt: null,
      counts: null,
      files: [],
    };
    this.#jobs.set(id, job);
    await this.#publish(job);
    return job.arn;
  }

  async get(identifier: string): Promise<SimJob> {
    const job = this.#find(identifier);
    await this.#advance(job);
    return job;
  }

  async stopJob(identifier: string): Promise<void> {
    const job = this.#find(identifier);
    await this.#advance(job);
    if (!STOPPABLE.includes(job.status)) {
      throw new BedrockSimError(
        400,
        'ConflictException',
        `The job is ${job.status} and cannot be stopped`,
      );
    }
    job.stopAt = this.#ctx.clock.now();
    this.#set(job, 'Stopping', job.stopAt);
    await this.#publish(job);
  }

  async list(query: URLSearchParams): Promise<{ jobs: SimJob[]; nextToken: string | null }> {
    const maxResults = Number(query.get('maxResults') ?? 1000);
    if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 1000) {
      throw validation(
        `Value '${query.get('maxResults')}' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 1000`,
      );
    }
    const sortOrder = query.get('sortOrder') ?? 'Descending';
    if (sortOrder !== 'Ascending' && sortOrder !== 'Descending') {
      throw validation(`Value '${sortOrder}' at 'sortOrder' failed to satisfy constraint`);
    }
    const offset = this.#offsetOf(query.get('nextToken'));
    await this.advanceAll();
    const after = query.get('submitTimeAfter');
    const before = query.get('submitTimeBefore');
    const status = query.get('statusEquals');
    const name = query.get('nameContains');
    const matching = [...this.#jobs.values()]
      .filter((job) => status === null || job.status === status)
      .filter((job) => name === null || job.name.includes(name))
      .filter((job) => after === null || job.submitTime > Date.parse(after))
      .filter((job) => before === null || job.submitTime < Date.parse(before))
      .sort((a, b) =>
        sortOrder === 'Ascending' ? a.submitTime - b.submitTime : b.submitTime - a.submitTime,
      );
    const page = matching.slice(offset, offset + maxResults);
    const next = offset + maxResults < matching.length ? offset + maxResults : null;
    return {
      jobs: page,
      nextToken: next === null ? null : Buffer.from(`offset:${next}`).toString('base64url'),
    };
  }

  /** The job as Get returns it (List summaries carry the same members). */
  view(job: SimJob): Record<string, unknown> {
    const iso = (ms: number): string => new Date(ms).toISOString();
    return {
      jobArn: job.arn,
      jobName: job.name,
      modelId: job.modelId,
      clientRequestToken: job.token,
      roleArn: job.roleArn,
      status: job.status,
      ...(job.message === null ? {} : { message: job.message }),
      submitTime: iso(job.submitTime),
      lastModifiedTime: iso(job.lastModified),
      ...(job.endTime === null ? {} : { endTime: iso(job.endTime) }),
      inputDataConfig: { s3InputDataConfig: { s3Uri: job.inputUri, s3InputFormat: 'JSONL' } },
      outputDataConfig: { s3OutputDataConfig: { s3Uri: job.outputUri } },
      timeoutDurationInHours: job.timeoutHours,
      jobExpirationTime: iso(job.submitTime + job.timeoutHours * 3_600_000),
      modelInvocationType: job.invocationType,
      ...(job.counts === null
        ? {}
        : {
            totalRecordCount: job.counts.total,
            processedRecordCount: job.counts.processed,
            successRecordCount: job.counts.success,
            errorRecordCount: job.counts.error,
          }),
    };
  }

  /** How many jobs are in each status (the simulator's stats). */
  statusCounts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const job of this.#jobs.values()) counts[job.status] = (counts[job.status] ?? 0) + 1;
    return counts;
  }

  async advanceAll(): Promise<void> {
    await Promise.all(
      [...this.#jobs.values()]
        .filter((job) => ACTIVE.includes(job.status))
        .map((job) => this.#advance(job).catch(() => undefined)),
    );
  }

  #find(identifier: string): SimJob {
    if (!JOB_IDENTIFIER.test(identifier)) {
      throw validation(
        `1 validation error detected: Value '${identifier}' at 'jobIdentifier' failed to satisfy constraint`,
      );
    }
    const job = this.#jobs.get(identifier.slice(identifier.lastIndexOf('/') + 1));
    if (job === undefined) {
      throw new BedrockSimError(404, 'ResourceNotFoundException', `Job ${identifier} not found`);
    }
    return job;
  }

  #offsetOf(token: string | null): number {
    if (token === null) return 0;
    const match = /^offset:(\d+)$/.exec(Buffer.from(token, 'base64url').toString());
    if (match === null) throw validation('The nextToken is invalid');
    return Number(match[1]);
  }

  #set(job: SimJob, status: string, at: number): void {
    job.status = status;
    job.lastModified = at;
    if (!ACTIVE.includes(status)) job.endTime = at;
  }

  /** Moves a job through every transition its time has come for; one run at a time per job. */
  #advance(job: SimJob): Promise<void> {
    const previous = this.#advancing.get(job.id) ?? Promise.resolve();
    const next = previous.then(() => this.#step(job));
    this.#advancing.set(
      job.id,
      next.catch(() => undefined),
    );
    return next;
  }

  async #step(job: SimJob): Promise<void> {
    const p = job.processingMs;
    const at = {
      validating: job.submitTime + p * 0.05,
      scheduled: job.submitTime + p * 0.1,
      started: job.submitTime + p * 0.2,
      expires: job.submitTime + p * 0.4,
      ended: job.submitTime + p,
    };
    for (;;) {
      const now = this.#ctx.clock.now();
      const before = job.status;
      if (job.status === 'Submitted' && now >= at.validating) {
        this.#set(job, 'Validating', at.validating);
      } else if (job.status === 'Validating' && now >= at.scheduled) {
        const problem = await this.#validate(job);
        if (problem === null) this.#set(job, 'Scheduled', at.scheduled);
        else {
          job.message = problem;
          this.#set(job, 'Failed', at.scheduled);
        }
      } else if (
        job.status === 'Scheduled' &&
        job.faults.expireJobs === true &&
        now >= at.expires
      ) {
        job.message = 'The job was scheduled but did not start before its timeout.';
        this.#set(job, 'Expired', at.expires);
      } else if (
        job.status === 'Scheduled' &&
        job.faults.expireJobs !== true &&
        now >= at.started
      ) {
        this.#set(job, 'InProgress', at.started);
      } else if (job.status === 'InProgress' && now >= at.ended) {
        const fraction = job.faults.partialAtFraction ?? 1;
        await this.#writeOutput(job, fraction);
        this.#set(job, fraction < 1 ? 'PartiallyCompleted' : 'Completed', at.ended);
      } else if (job.status === 'Stopping' && job.stopAt !== null && now >= job.stopAt + p * 0.05) {
        const ran = Math.max(0, (job.stopAt - at.started) / (at.ended - at.started));
        if (ran > 0) await this.#writeOutput(job, Math.min(1, ran));
        this.#set(job, 'Stopped', job.stopAt + p * 0.05);
      }
      if (job.status === before) return;
      await this.#publish(job);
    }
  }

  /** Reads the input as Bedrock validates it; returns why the job fails, or null. */
  async #validate(job: SimJob): Promise<string | null> {
    if (job.faults.failJobsWith !== undefined) return job.faults.failJobsWith;
    if (this.#s3 === null) return 'The simulator has no S3 endpoint to read batch input from.';
    const { bucket, key } = parseS3Uri(job.inputUri);
    let keys: string[];
    try {
      keys = key.endsWith('.jsonl') ? [key] : await this.#listJsonl(bucket, key);
    } catch (error) {
      return `Unable to access the input S3 location ${job.inputUri}: ${(error as Error).name}`;
    }
    if (keys.length === 0) return `No .jsonl files were found at ${job.inputUri}`;
    const { limits } = this.#ctx;
    let total = 0;
    for (const objectKey of keys) {
      let text: string;
      try {
        const object = await this.#s3.send(
          new GetObjectCommand({ Bucket: bucket, Key: objectKey }),
        );
        if ((object.ContentLength ?? 0) > limits.bedrockMaxFileBytes) {
          return `Input file ${objectKey} exceeds the maximum file size of ${limits.bedrockMaxFileBytes} bytes`;
        }
        text = (await object.Body?.transformToString()) ?? '';
      } catch (error) {
        return `Unable to read s3://${bucket}/${objectKey}: ${(error as Error).name}`;
      }
      const records: SimRecord[] = [];
      for (const [index, line] of text.split('\n').entries()) {
        if (line.trim() === '') continue;
        let value: unknown;
        try {
          value = JSON.parse(line);
        } catch {
          return `Line ${index + 1} of ${objectKey} is not valid JSON`;
        }
        const record = value as { recordId?: unknown; modelInput?: unknown };
        if (typeof record !== 'object' || record === null || record.modelInput === undefined) {
          return `Line ${index + 1} of ${objectKey} has no modelInput`;
        }
        const recordId =
          typeof record.recordId === 'string'
            ? record.recordId
            : hashId(11, this.#ctx.seed, 'record', job.id, index).toUpperCase();
        records.push({ recordId, modelInput: record.modelInput });
      }
      if (records.length > limits.bedrockMaxRecordsPerFile) {
        return `Input file ${objectKey} has ${records.length} records, more than the maximum of ${limits.bedrockMaxRecordsPerFile} per file`;
      }
      total += records.length;
      job.files.push({ name: objectKey.slice(objectKey.lastIndexOf('/') + 1), records });
    }
    if (total < limits.bedrockMinRecords) {
      return `The job has ${total} records, fewer than the minimum of ${limits.bedrockMinRecords} records per batch inference job`;
    }
    if (total > limits.bedrockMaxRecords) {
      return `The job has ${total} records, more than the maximum of ${limits.bedrockMaxRecords} records per batch inference job`;
    }
    job.counts = { total, processed: 0, success: 0, error: 0 };
    return null;
  }

  async #listJsonl(bucket: string, prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.#s3?.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const object of page?.Contents ?? []) {
        if (object.Key?.endsWith('.jsonl')) keys.push(object.Key);
      }
      token = page?.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return keys.sort();
  }

  /**
   * Answers the records that ran (the first `fraction` of them in a seeded order), writes one
   * `.out` per input file in a seeded order, and the manifest.
   */
  async #writeOutput(job: SimJob, fraction: number): Promise<void> {
    const { bucket, key } = parseS3Uri(job.outputUri);
    const folder = `${key === '' || key.endsWith('/') ? key : `${key}/`}${job.id}/`;
    const seed = this.#ctx.seed;
    const counts = { total: 0, processed: 0, success: 0, error: 0 };
    let inputTokens = 0;
    let outputTokens = 0;
    for (const file of job.files) {
      const lines: { order: number; text: string }[] = [];
      for (const record of file.records) {
        counts.total += 1;
        if (hashUnit(seed, 'bedrock-ran', job.id, record.recordId) >= fraction) continue;
        counts.processed += 1;
        const problem = modelInputProblem(job.family, record.modelInput);
        const failed =
          problem === null &&
          hashUnit(seed, 'bedrock-error', job.id, record.recordId) <
            (job.faults.recordErrorRate ?? 0);
        let line: Record<string, unknown>;
        if (problem !== null || failed) {
          counts.error += 1;
          line = {
            recordId: record.recordId,
            modelInput: record.modelInput,
            error:
              problem === null
                ? { errorCode: 500, errorMessage: 'Internal server error (simulated).' }
                : { errorCode: 400, errorMessage: problem },
          };
        } else {
          counts.success += 1;
          const output = fakeModelOutput(
            seed,
            job.family,
            record.recordId,
            record.modelInput as Record<string, unknown>,
          );
          const usage = (output.usage ?? {}) as Record<string, number>;
          inputTokens +=
            usage.input_tokens ?? usage.inputTokens ?? Number(output.prompt_token_count ?? 0);
          outputTokens +=
            usage.output_tokens ?? usage.outputTokens ?? Number(output.generation_token_count ?? 0);
          line = { recordId: record.recordId, modelInput: record.modelInput, modelOutput: output };
        }
        lines.push({
          order: hashUnit(seed, 'bedrock-order', job.id, record.recordId),
          text: JSON.stringify(line),
        });
      }
      lines.sort((a, b) => a.order - b.order);
      await this.#s3?.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: `${folder}${file.name}.out`,
          Body: lines.map((l) => `${l.text}\n`).join(''),
          ContentType: 'application/jsonl',
        }),
      );
    }
    job.counts = counts;
    await this.#s3?.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: `${folder}manifest.json.out`,
        Body: JSON.stringify({
          totalRecordCount: counts.total,
          processedRecordCount: counts.processed,
          successRecordCount: counts.success,
          errorRecordCount: counts.error,
          inputTokenCount: inputTokens,
          outputTokenCount: outputTokens,
        }),
        ContentType: 'application/json',
      }),
    );
  }

  /** "Batch Inference Job State Change" on the default bus; best effort, as Bedrock's. */
  async #publish(job: SimJob): Promise<void> {
    if (this.#events === null) return;
    try {
      const result = await this.#events.send(
        new PutEventsCommand({
          Entries: [
            {
              Source: 'aws.bedrock',
              DetailType: 'Batch Inference Job State Change',
              Resources: [job.arn],
              Time: new Date(job.lastModified),
              Detail: JSON.stringify({
                version: '0.0',
                accountId: ACCOUNT,
                batchJobName: job.name,
                batchJobArn: job.arn,
                batchModelId: job.modelId,
                status: job.status,
                failureMessage: job.message ?? '',
                creationTime: new Date(job.submitTime).toISOString(),
              }),
            },
          ],
        }),
      );
      if ((result.FailedEntryCount ?? 0) > 0) this.published.failed += 1;
      else this.published.ok += 1;
    } catch {
      this.published.failed += 1;
    }
  }
}

export {
  type BedrockJobFaults,
  BedrockJobs,
  type BedrockSimEnvironment,
  BedrockSimError,
  type SimJob,
};
