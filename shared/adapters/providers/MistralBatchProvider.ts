import { openAsBlob } from 'node:fs';
import { tmpdir } from 'node:os';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { Mistral, SDKOptions } from '@mistralai/mistralai';
import type { BatchJob, BatchRequest } from '@mistralai/mistralai/models/components';
import {
  PROVIDER_ENDPOINTS,
  PROVIDER_LIMITS,
  type ProviderName,
} from '../../contract/providers.js';
import type {
  BatchProvider,
  FindBatchHint,
  ProviderBatchSnapshot,
  SubmitBatchInput,
} from '../../ports/BatchProvider.js';
import * as parts from './batchProviderParts.js';

/**
 * How to build the SDK client (`baseUrl`: what the SDK's `serverURL` takes, e.g.
 * `http://127.0.0.1:8080`; `maxRetries`: the SDK's backoff on 429 and 5xx, 0: none), or the
 * client itself.
 */
type MistralBatchProviderOptions = MistralBatchSettings & parts.BatchClientChoice<Mistral>;

interface MistralBatchSettings {
  /**
   * Largest batch input (bytes of batchlane's JSONL) sent inline in the create call; larger
   * ones are uploaded as a file. Default {@link INLINE_MAX_INPUT_BYTES}.
   */
  readonly inlineMaxBytes?: number;
  /** Where input files are staged before their upload (default the OS temp dir). */
  readonly tmpDir?: string;
}

/**
 * Mistral documents no cap on inline requests. Their results come back inside the job
 * object, which every poll would then carry: inline is kept for small batches, where it
 * saves an upload and a download, and anything larger goes as a file.
 */
const INLINE_MAX_INPUT_BYTES = 1024 * 1024;

/** Metadata key recording batchlane's batch id on the job (crash reconciliation). */
const BATCH_ID_METADATA_KEY = 'batchlane_batch_id';

/** The job's time limit. Mistral's default too; said explicitly so `expiresAt` is known. */
const TIMEOUT_HOURS = 24;

type MistralEndpoint = (typeof PROVIDER_ENDPOINTS.mistral)[number];

const isMistralEndpoint = (endpoint: string): endpoint is MistralEndpoint =>
  (PROVIDER_ENDPOINTS.mistral as readonly string[]).includes(endpoint);

/** Terminal states: results (files, inline outputs, or nothing) can be read. */
const ENDED_STATUSES: readonly string[] = ['SUCCESS', 'FAILED', 'TIMEOUT_EXCEEDED', 'CANCELLED'];

const isoFromSeconds = (seconds: number | null | undefined): string | null =>
  typeof seconds === 'number' ? new Date(seconds * 1000).toISOString() : null;

const isInlineJob = (job: BatchJob): boolean => job.inputFiles.length === 0;

const toSnapshot = (job: BatchJob): ProviderBatchSnapshot => {
  const ended = ENDED_STATUSES.includes(job.status);
  const refs = parts.presentIds([job.outputFile, job.errorFile]);
  // An inline job's results are in its `outputs`, read again when results are opened.
  if (ended && refs.length === 0 && isInlineJob(job) && job.status !== 'FAILED') {
    refs.push(`${parts.INLINE_REF_PREFIX}${job.id}`);
  }
  return {
    providerBatchId: job.id,
    phase: ended ? 'ended' : 'running',
    providerStatus: job.status,
    expiresAt: isoFromSeconds(job.createdAt + TIMEOUT_HOURS * 3600),
    endedAt: ended ? isoFromSeconds(job.completedAt ?? job.startedAt ?? job.createdAt) : null,
    failure:
      job.status === 'FAILED'
        ? {
            code: 'batch_failed',
            message: job.errors[0]?.message ?? 'Mistral failed the job without a reason',
          }
        : null,
    resultRefs: ended ? refs : [],
  };
};

/** batchlane's stored lines for Mistral (`{"custom_id","body"}`, the API's own), of one model. */
const readStoredLines = (input: SubmitBatchInput): AsyncIterable<parts.BodyLine> =>
  parts.readBodyLines(input, 'mistral');

/** The SDK's retry setting for `maxRetries` retries: its backoff on 429 and 5xx, or none. */
const retryConfigOf = (maxRetries: number): NonNullable<SDKOptions['retryConfig']> =>
  maxRetries <= 0
    ? { strategy: 'none' }
    : {
        strategy: 'backoff',
        // The SDK bounds retries by elapsed time, not count: about `maxRetries` doublings
        // from half a second.
        backoff: {
          initialInterval: 500,
          maxInterval: 8000,
          exponent: 2,
          maxElapsedTime: 500 * (2 ** (maxRetries + 1) - 1),
        },
        retryConnectionErrors: true,
      };

/**
 * Mistral's batch jobs through `@mistralai/mistralai`: small batches inline in the create
 * call, larger ones uploaded as a file (staged on disk, sent from a file-backed Blob, so the
 * input is never held in memory); results streamed from the output and error files, or read
 * from an inline job's `outputs`, always handed on as output-file JSONL.
 *
 * @example
 * ```ts
 * const mistral = new MistralBatchProvider({ apiKey, baseUrl: sim.mistralBaseUrl });
 * const snapshot = await mistral.submit({ batchId, endpoint: '/v1/chat/completions', openInput, requestCount, inputBytes });
 * ```
 */
class MistralBatchProvider implements BatchProvider {
  readonly name: ProviderName = 'mistral';
  readonly #connect: () => Promise<Mistral>;
  #client: Promise<Mistral> | null = null;
  readonly #inlineMaxBytes: number;
  readonly #tmpDir: string;

  constructor(options: MistralBatchProviderOptions) {
    // The SDK is loaded on first use: it takes seconds to load, which functions that never
    // talk to Mistral should not pay at start-up.
    const { client } = options;
    this.#connect =
      client !== undefined
        ? async () => client
        : async () => {
            const { Mistral: Client } = await import('@mistralai/mistralai');
            return new Client({
              apiKey: options.apiKey,
              ...(options.baseUrl ? { serverURL: options.baseUrl } : {}),
              ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
              retryConfig: retryConfigOf(options.maxRetries ?? 2),
            });
          };
    this.#inlineMaxBytes = options.inlineMaxBytes ?? INLINE_MAX_INPUT_BYTES;
    this.#tmpDir = options.tmpDir ?? tmpdir();
  }

  async submit(input: SubmitBatchInput): Promise<ProviderBatchSnapshot> {
    const endpoint = input.endpoint;
    if (!isMistralEndpoint(endpoint)) throw parts.unsupportedBatchEndpoint('mistral', endpoint);
    const maxBytes = PROVIDER_LIMITS.mistral.maxBytes;
    if (input.inputBytes > maxBytes) throw parts.inputTooLarge('mistral', maxBytes);
    if (input.inputBytes <= this.#inlineMaxBytes) {
      const { model, requests } = await this.#readInline(input);
      return this.#create(input.batchId, endpoint, model, { requests });
    }
    return parts.withTempDir(this.#tmpDir, 'batchlane-mistral-', async (dir) => {
      // The stored input is already Mistral's line shape: copied as it is.
      const { path, model } = await parts.stageInputFile(
        readStoredLines(input),
        dir,
        (line) => line.text,
      );
      const file = await this.#call('files.upload', async (client) =>
        client.files.upload({
          // A file-backed Blob: the SDK's form reads it from disk as it sends.
          file: new File([await openAsBlob(path)], `${input.batchId}.jsonl`, {
            type: 'application/jsonl',
          }),
          purpose: 'batch',
        }),
      );
      return this.#create(input.batchId, endpoint, model, { inputFiles: [file.id] });
    });
  }

  async retrieve(providerBatchId: string): Promise<ProviderBatchSnapshot> {
    return toSnapshot(await this.#get(providerBatchId));
  }

  async cancel(providerBatchId: string): Promise<ProviderBatchSnapshot> {
    const job = await this.#call('batch.jobs.cancel', (client) =>
      client.batch.jobs.cancel({ jobId: providerBatchId }),
    );
    return toSnapshot(job);
  }

  /**
   * The raw bytes of an output or error file, streamed as they arrive; for an inline job,
   * its `outputs`, one line each in the output file's shape.
   */
  async openResults(ref: string): Promise<Readable> {
    if (ref.startsWith(parts.INLINE_REF_PREFIX)) {
      const job = await this.#get(ref.slice(parts.INLINE_REF_PREFIX.length), true);
      return parts.inlineResults(job.outputs ?? [], (item) => JSON.stringify(item));
    }
    // A file the Files API no longer has (deleted past Mistral's retention) is gone for good.
    const body = await parts.openKeptResults(
      'mistral',
      ref,
      () => this.#call('files.download', (client) => client.files.download({ fileId: ref })),
      async () =>
        (await parts.nullIfMissing(() =>
          this.#call('files.retrieve', (client) => client.files.retrieve({ fileId: ref })),
        )) !== null,
    );
    return Readable.fromWeb(body as unknown as WebReadableStream<Uint8Array>);
  }

  /**
   * Deletes the job's input, output and error files and the job itself, once batchlane has
   * archived the results. What is already gone is not an error.
   */
  async deleteArtifacts(providerBatchId: string): Promise<void> {
    const job = await parts.nullIfMissing(() => this.#get(providerBatchId));
    if (job === null) return;
    for (const fileId of parts.presentIds([...job.inputFiles, job.outputFile, job.errorFile])) {
      await parts.ignoreMissing(() =>
        this.#call('files.delete', (client) => client.files.delete({ fileId })),
      );
    }
    await parts.ignoreMissing(() =>
      this.#call('batch.jobs.delete', (client) =>
        client.batch.jobs.delete({ jobId: providerBatchId }),
      ),
    );
  }

  /**
   * The job made for batchlane batch `batchId`, found by its metadata (the list filters on
   * it server-side) among jobs created since `hint.submittedAfter`, or null: Mistral's create
   * is not idempotent, so a submission retried after a crash adopts the job it already made.
   */
  async findByBatchId(
    batchId: string,
    hint: Partial<FindBatchHint> = {},
  ): Promise<ProviderBatchSnapshot | null> {
    return this.#call('batch.jobs.list', async (client) => {
      for (let page = 0; ; page += 1) {
        const list = await client.batch.jobs.list({
          page,
          pageSize: 100,
          metadata: { [BATCH_ID_METADATA_KEY]: batchId },
          ...(hint.submittedAfter === undefined ? {} : { createdAfter: hint.submittedAfter }),
          orderBy: '-created',
        });
        const jobs = list.data ?? [];
        // The filter is the server's; the match is checked here too, so a server that
        // ignored it cannot make batchlane adopt another batch's job.
        const job = jobs.find((item) => item.metadata?.[BATCH_ID_METADATA_KEY] === batchId);
        if (job !== undefined) return toSnapshot(job);
        if (jobs.length < 100 || (page + 1) * 100 >= list.total) return null;
      }
    });
  }

  /** The inline requests and their one model, read from the stored input. */
  async #readInline(input: SubmitBatchInput): Promise<{ model: string; requests: BatchRequest[] }> {
    const requests: BatchRequest[] = [];
    let model = '';
    for await (const line of readStoredLines(input)) {
      model = line.model;
      requests.push({ customId: line.customId, body: line.body });
    }
    return { model, requests };
  }

  async #create(
    batchId: string,
    endpoint: MistralEndpoint,
    model: string,
    source: { readonly inputFiles: string[] } | { readonly requests: BatchRequest[] },
  ): Promise<ProviderBatchSnapshot> {
    const job = await this.#call('batch.jobs.create', (client) =>
      client.batch.jobs.create({
        ...source,
        endpoint,
        model,
        metadata: { [BATCH_ID_METADATA_KEY]: batchId },
        timeoutHours: TIMEOUT_HOURS,
      }),
    );
    return toSnapshot(job);
  }

  async #get(jobId: string, inline = false): Promise<BatchJob> {
    return this.#call('batch.jobs.get', (client) =>
      client.batch.jobs.get({ jobId, ...(inline ? { inline: true } : {}) }),
    );
  }

  async #call<T>(operation: string, call: (client: Mistral) => Promise<T>): Promise<T> {
    return parts.callProvider('mistral', operation, async () => {
      this.#client ??= this.#connect();
      const client = await this.#client.catch((error: unknown) => {
        this.#client = null;
        throw error;
      });
      return call(client);
    });
  }
}

export {
  BATCH_ID_METADATA_KEY,
  MistralBatchProvider,
  type MistralBatchProviderOptions,
  retryConfigOf,
};
