import type { Readable } from 'node:stream';
import {
  type BedrockClient,
  CreateModelInvocationJobCommand,
  GetModelInvocationJobCommand,
  type GetModelInvocationJobCommandOutput,
  paginateListModelInvocationJobs,
  StopModelInvocationJobCommand,
} from '@aws-sdk/client-bedrock';
import {
  clientRequestTokenOf,
  ENDED_JOB_STATUSES,
  jobNameOf,
  jobTimeoutHours,
} from '../../domain/bedrockJobs.js';
import {
  type BatchlaneError,
  ConflictError,
  InvalidInputError,
  NotFoundError,
  ThrottledError,
} from '../../domain/errors.js';
import { splitLines } from '../../domain/splitLines.js';
import type {
  BatchProvider,
  FindBatchHint,
  ProviderBatchSnapshot,
  SubmitBatchInput,
} from '../../ports/BatchProvider.js';
import type { BlobStore } from '../../ports/BlobStore.js';
import type { Clock } from '../../ports/Clock.js';
import { translateAwsError } from '../aws/translateAwsError.js';
import { openKeptResults } from './batchProviderParts.js';

interface BedrockBatchProviderOptions {
  readonly client: BedrockClient;
  /**
   * The stack's artifacts bucket: each job's input file is written to it and Bedrock writes
   * the job's output there, so no request or answer leaves the account.
   */
  readonly files: BlobStore;
  /** The service role Bedrock assumes to read the input and write the output. */
  readonly roleArn: string;
  readonly clock: Clock;
  /** Where jobs' files live in the bucket. Default `bedrock/`. */
  readonly prefix?: string;
}

/**
 * How long to wait before asking again when Bedrock refuses a job for the concurrent-jobs
 * quota: jobs take minutes to hours, so a slot is not back in seconds.
 */
const QUOTA_RETRY_MS = 5 * 60 * 1000;

const INPUT_FILE = 'records.jsonl';

/** The last segment of a job ARN: the folder Bedrock writes the job's output to. */
const jobIdOf = (jobArn: string): string => jobArn.slice(jobArn.lastIndexOf('/') + 1);

/**
 * Bedrock's errors as batchlane's: the concurrent-jobs quota is a wait (the SDK does not
 * retry it), an unknown model on create refuses the batch for good, and the rest as any AWS
 * error (throttling and 5xx retryable, validation final).
 */
const translateBedrockError = (error: unknown, operation: string): BatchlaneError => {
  const name = (error as { name?: unknown } | null)?.name;
  const message = error instanceof Error ? error.message : String(error);
  if (name === 'ServiceQuotaExceededException') {
    return new ThrottledError(`Bedrock.${operation}: ${message}`, {
      code: 'job_quota',
      retryAfterMs: QUOTA_RETRY_MS,
      cause: error,
    });
  }
  if (name === 'ResourceNotFoundException' && operation === 'CreateModelInvocationJob') {
    return new InvalidInputError(`Bedrock.${operation}: ${message}`, {
      code: 'unknown_model',
      cause: error,
    });
  }
  if (name === 'ConflictException') {
    return new ConflictError(`Bedrock.${operation}: ${message}`, {
      code: 'conflict',
      cause: error,
    });
  }
  return translateAwsError(error, { operation: `Bedrock.${operation}` });
};

/**
 * Rewrites batchlane's stored lines (`{"custom_id","modelInput"}`) as Bedrock records
 * (`{"recordId","modelInput"}`), one line at a time.
 */
async function* toBedrockRecords(source: Readable): AsyncGenerator<Uint8Array> {
  for await (const line of splitLines(source)) {
    const { custom_id: recordId, modelInput } = JSON.parse(line) as {
      custom_id?: unknown;
      modelInput?: unknown;
    };
    if (typeof recordId !== 'string' || typeof modelInput !== 'object' || modelInput === null) {
      throw new InvalidInputError('a batch input line is not a Bedrock record', {
        code: 'malformed_input_line',
      });
    }
    yield Buffer.from(`${JSON.stringify({ recordId, modelInput })}\n`);
  }
}

/**
 * Amazon Bedrock batch inference (model invocation jobs) through `@aws-sdk/client-bedrock`.
 * A batchlane batch is one job for one model: its records are written to the artifacts bucket
 * and the job's output (one `.jsonl.out` per input file, and `manifest.json.out`) is read from
 * there. The create call carries a token derived from the batch id, so a create repeated after
 * a crash returns the job already made.
 */
class BedrockBatchProvider implements BatchProvider {
  readonly name = 'bedrock' as const;
  readonly #client: BedrockClient;
  readonly #files: BlobStore;
  readonly #roleArn: string;
  readonly #clock: Clock;
  readonly #prefix: string;

  constructor(options: BedrockBatchProviderOptions) {
    this.#client = options.client;
    this.#files = options.files;
    this.#roleArn = options.roleArn;
    this.#clock = options.clock;
    this.#prefix = options.prefix ?? 'bedrock/';
  }

  async submit(input: SubmitBatchInput): Promise<ProviderBatchSnapshot> {
    const modelId = input.models?.length === 1 ? input.models[0] : undefined;
    if (modelId === undefined) {
      throw new InvalidInputError(
        `a Bedrock job runs one model; batch ${input.batchId} names ${input.models?.length ?? 0}`,
        { code: 'one_model_per_job' },
      );
    }
    const inputKey = `${this.#prefix}${input.batchId}/input/${INPUT_FILE}`;
    // Written again on a retried submission: the same lines give the same object.
    await this.#files.put(inputKey, toBedrockRecords(await input.openInput()), {
      contentType: 'application/x-ndjson',
    });
    let jobArn: string | undefined;
    try {
      const created = await this.#client.send(
        new CreateModelInvocationJobCommand({
          jobName: jobNameOf(input.batchId),
          clientRequestToken: clientRequestTokenOf(input.batchId),
          roleArn: this.#roleArn,
          modelId,
          modelInvocationType: 'InvokeModel',
          inputDataConfig: {
            s3InputDataConfig: { s3Uri: this.#files.uri(inputKey), s3InputFormat: 'JSONL' },
          },
          outputDataConfig: {
            s3OutputDataConfig: {
              s3Uri: this.#files.uri(`${this.#prefix}${input.batchId}/output/`),
            },
          },
          timeoutDurationInHours: jobTimeoutHours(this.#clock.now(), input.answerBy ?? null),
          tags: [{ key: 'batchlane:batch-id', value: input.batchId }],
        }),
      );
      jobArn = created.jobArn;
    } catch (error) {
      throw translateBedrockError(error, 'CreateModelInvocationJob');
    }
    if (jobArn === undefined) {
      throw new InvalidInputError('Bedrock created a job without an ARN', { code: 'no_job_arn' });
    }
    return this.retrieve(jobArn);
  }

  async retrieve(providerBatchId: string): Promise<ProviderBatchSnapshot> {
    let job: GetModelInvocationJobCommandOutput;
    try {
      job = await this.#client.send(
        new GetModelInvocationJobCommand({ jobIdentifier: providerBatchId }),
      );
    } catch (error) {
      throw translateBedrockError(error, 'GetModelInvocationJob');
    }
    return this.#snapshot(job);
  }

  async cancel(providerBatchId: string): Promise<ProviderBatchSnapshot> {
    try {
      await this.#client.send(
        new StopModelInvocationJobCommand({ jobIdentifier: providerBatchId }),
      );
    } catch (error) {
      const translated = translateBedrockError(error, 'StopModelInvocationJob');
      // A job that has already ended cannot be stopped: its state is the answer.
      if (!(translated instanceof ConflictError)) throw translated;
    }
    return this.retrieve(providerBatchId);
  }

  /**
   * The job's output is in the deployment's own bucket, which S3 reads after writes: an object
   * the ended job's listing named and S3 no longer has was deleted (a lifecycle rule, by hand)
   * and will not come back, so it is gone for good, not retried.
   */
  async openResults(ref: string): Promise<Readable> {
    return openKeptResults(
      'bedrock',
      ref,
      () => this.#files.getStream(ref),
      async () => false,
    );
  }

  /** Once archived, the job's input and output objects are not needed. The job stays listed. */
  async deleteArtifacts(providerBatchId: string): Promise<void> {
    const job = await this.#client
      .send(new GetModelInvocationJobCommand({ jobIdentifier: providerBatchId }))
      .catch((error: unknown) => {
        throw translateBedrockError(error, 'GetModelInvocationJob');
      });
    const inputUri = job.inputDataConfig?.s3InputDataConfig?.s3Uri;
    const outputUri = job.outputDataConfig?.s3OutputDataConfig?.s3Uri;
    if (inputUri !== undefined) await this.#files.delete(this.#keyOf(inputUri));
    if (outputUri !== undefined && job.jobArn !== undefined) {
      const folder = `${this.#keyOf(outputUri).replace(/\/?$/, '/')}${jobIdOf(job.jobArn)}/`;
      for await (const key of this.#files.list(folder)) await this.#files.delete(key);
    }
  }

  /**
   * The job made for this batch, if any: jobs are named after the batch, so a submission cut
   * off after the create call finds its job by name (the create token would find it too).
   */
  async findByBatchId(batchId: string, hint: FindBatchHint): Promise<ProviderBatchSnapshot | null> {
    const jobName = jobNameOf(batchId);
    try {
      const pages = paginateListModelInvocationJobs(
        { client: this.#client, pageSize: 100 },
        { nameContains: jobName, submitTimeAfter: hint.submittedAfter },
      );
      for await (const page of pages) {
        const found = page.invocationJobSummaries?.find((job) => job.jobName === jobName);
        if (found?.jobArn !== undefined) return this.retrieve(found.jobArn);
      }
    } catch (error) {
      throw translateBedrockError(error, 'ListModelInvocationJobs');
    }
    return null;
  }

  async #snapshot(job: GetModelInvocationJobCommandOutput): Promise<ProviderBatchSnapshot> {
    const status = job.status ?? 'Submitted';
    const ended = ENDED_JOB_STATUSES.includes(status);
    const jobArn = job.jobArn;
    if (jobArn === undefined) {
      throw new NotFoundError('Bedrock returned a job without an ARN', { code: 'no_job_arn' });
    }
    return {
      providerBatchId: jobArn,
      phase: ended ? 'ended' : 'running',
      providerStatus: status,
      expiresAt: job.jobExpirationTime?.toISOString() ?? null,
      endedAt: ended
        ? (job.endTime ?? job.lastModifiedTime ?? this.#clock.now()).toISOString()
        : null,
      failure:
        status === 'Failed'
          ? { code: 'job_failed', message: job.message ?? 'the Bedrock job failed' }
          : null,
      // Output appears while a job runs; only an ended job's output is complete.
      resultRefs: ended ? await this.#outputFiles(job) : [],
    };
  }

  /** The blob key of an `s3://` URI this adapter wrote (in the artifacts bucket). */
  #keyOf(uri: string): string {
    const base = this.#files.uri('');
    if (!uri.startsWith(base)) {
      throw new InvalidInputError('a Bedrock job names files outside the artifacts bucket', {
        code: 'foreign_job_files',
      });
    }
    return uri.slice(base.length);
  }

  /** The job's `.jsonl.out` files (not `manifest.json.out`), in name order. */
  async #outputFiles(job: GetModelInvocationJobCommandOutput): Promise<string[]> {
    const outputUri = job.outputDataConfig?.s3OutputDataConfig?.s3Uri;
    if (outputUri === undefined || job.jobArn === undefined) return [];
    const folder = `${this.#keyOf(outputUri).replace(/\/?$/, '/')}${jobIdOf(job.jobArn)}/`;
    const keys: string[] = [];
    for await (const key of this.#files.list(folder)) {
      if (key.endsWith('.jsonl.out')) keys.push(key);
    }
    return keys.sort();
  }
}

export { BedrockBatchProvider, type BedrockBatchProviderOptions, translateBedrockError };
