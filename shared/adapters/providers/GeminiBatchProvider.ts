import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { type BatchJob, GoogleGenAI, type InlinedResponse, JobState } from '@google/genai';
import type { ProviderName } from '../../contract/providers.js';
import { AuthError, InvalidInputError, NotFoundError } from '../../domain/errors.js';
import { isJsonObject } from '../../domain/isJsonObject.js';
import type {
  BatchProvider,
  FindBatchHint,
  ProviderBatchSnapshot,
  SubmitBatchInput,
} from '../../ports/BatchProvider.js';
import * as parts from './batchProviderParts.js';

/**
 * How to build the SDK client (`baseUrl`: what `httpOptions.baseUrl` takes, e.g.
 * `http://127.0.0.1:8080`; `maxRetries`: attempts beyond the first, the SDK's retry options),
 * or the client itself.
 */
type GeminiBatchProviderOptions = GeminiBatchSettings & parts.BatchClientChoice<GoogleGenAI>;

interface GeminiBatchSettings {
  /**
   * Largest batch input (batchlane's JSONL) sent inline in the create call; larger ones go
   * through the Files API. Default {@link INLINE_MAX_INPUT_BYTES}.
   */
  readonly inlineMaxBytes?: number;
  /** Where input and result files are staged on their way (default the OS temp dir). */
  readonly tmpDir?: string;
}

/** Gemini's documented cap on an inline create request: "total request size under 20MB". */
const INLINE_MAX_CREATE_BYTES = 20 * 1000 * 1000;

/**
 * Inputs up to this size are tried inline: the inline body is a little larger than the lines
 * (the key moves into `metadata`), so the create body is measured again before it is sent.
 */
const INLINE_MAX_INPUT_BYTES = 19 * 1000 * 1000;

/** Terminal states: results (a file, inline responses, or nothing) can be read. */
const ENDED_STATES: readonly string[] = [
  JobState.JOB_STATE_SUCCEEDED,
  JobState.JOB_STATE_FAILED,
  JobState.JOB_STATE_CANCELLED,
  JobState.JOB_STATE_EXPIRED,
];

/** A batch running or pending this long is expired by Gemini, with no results. */
const EXPIRY_MS = 48 * 3600 * 1000;

const modelName = (model: string): string =>
  model.startsWith('models/') ? model.slice('models/'.length) : model;

/**
 * batchlane's stored lines for Gemini (`{"custom_id","body"}`, see formatProviderLine), of one
 * model: the create call's path names it.
 */
const readStoredLines = (input: SubmitBatchInput): AsyncIterable<parts.BodyLine> =>
  parts.readBodyLines(input, 'gemini', modelName);

/** A stored line as Gemini takes it: `{key, request}`, the request without its model. */
const geminiRequestOf = (
  line: parts.BodyLine,
): { key: string; request: Record<string, unknown> } => {
  const { model: _model, ...request } = line.body;
  return { key: line.customId, request };
};

/**
 * A Files API id for batchlane's batch: lower-case letters, digits and dashes, at most 40
 * characters. Derived from the batch id, so a retried submission finds its earlier upload.
 */
const inputFileNameOf = (batchId: string): string =>
  `files/${`bl-${batchId
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')}`.slice(0, 40)}`;

const toSnapshot = (job: BatchJob): ProviderBatchSnapshot => {
  const state = job.state ?? JobState.JOB_STATE_UNSPECIFIED;
  const ended = ENDED_STATES.includes(state);
  const name = job.name ?? '';
  const created = job.createTime === undefined ? Number.NaN : Date.parse(job.createTime);
  const refs: string[] = [];
  if (ended && typeof job.dest?.fileName === 'string' && job.dest.fileName !== '') {
    refs.push(job.dest.fileName);
  } else if (ended && Array.isArray(job.dest?.inlinedResponses)) {
    refs.push(`${parts.INLINE_REF_PREFIX}${name}`);
  }
  return {
    providerBatchId: name,
    // batchlane names each job after its batch (`displayName`).
    batchId: job.displayName ?? null,
    phase: ended ? 'ended' : 'running',
    providerStatus: state,
    expiresAt: Number.isNaN(created) ? null : new Date(created + EXPIRY_MS).toISOString(),
    endedAt: ended ? (job.endTime ?? job.updateTime ?? null) : null,
    failure:
      state === JobState.JOB_STATE_FAILED
        ? {
            code: 'batch_failed',
            // `@google/genai` does not pass on the Operation's error for the Gemini API.
            message: 'Gemini failed the batch (its reason is not reported through the SDK)',
          }
        : null,
    resultRefs: refs,
  };
};

/** One inline response as a responses-file line: `{"key","response"}` or `{"key","error"}`. */
const inlineResponseLine = (item: InlinedResponse): string | null => {
  const key = isJsonObject(item.metadata) ? item.metadata['key'] : undefined;
  // An item without the key batchlane sent cannot be matched: the member is left without a
  // result, which completion delivers (and retries) as returned-nothing.
  if (typeof key !== 'string') return null;
  if (item.error !== undefined && item.error !== null) {
    return JSON.stringify({ key, error: item.error });
  }
  if (item.response === undefined) return null;
  return JSON.stringify({ key, response: item.response });
};

/**
 * Gemini's Batch Mode through `@google/genai`: inline requests for small batches and the
 * Files API (resumable upload) for larger ones, chosen per batch by size; results read from
 * the inline responses or the responses file, always handed on as responses-file JSONL.
 *
 * @example
 * ```ts
 * const gemini = new GeminiBatchProvider({ apiKey, baseUrl: sim.geminiBaseUrl });
 * const snapshot = await gemini.submit({ batchId, endpoint: 'generateContent', openInput, requestCount, inputBytes });
 * ```
 */
class GeminiBatchProvider implements BatchProvider {
  readonly name: ProviderName = 'gemini';
  readonly #client: GoogleGenAI;
  readonly #inlineMaxBytes: number;
  readonly #tmpDir: string;

  constructor(options: GeminiBatchProviderOptions) {
    this.#client = parts.clientOf(
      options,
      (settings) =>
        new GoogleGenAI({
          apiKey: settings.apiKey,
          httpOptions: {
            ...(settings.baseUrl ? { baseUrl: settings.baseUrl } : {}),
            ...(settings.timeoutMs === undefined ? {} : { timeout: settings.timeoutMs }),
            // The SDK retries nothing unless told to; attempts include the first.
            retryOptions: { attempts: (settings.maxRetries ?? 2) + 1 },
          },
        }),
    );
    this.#inlineMaxBytes = options.inlineMaxBytes ?? INLINE_MAX_INPUT_BYTES;
    this.#tmpDir = options.tmpDir ?? tmpdir();
  }

  async submit(input: SubmitBatchInput): Promise<ProviderBatchSnapshot> {
    if (input.endpoint !== 'generateContent') {
      throw parts.unsupportedBatchEndpoint('gemini', input.endpoint);
    }
    if (input.inputBytes <= this.#inlineMaxBytes) {
      const inline = await this.#readInline(input);
      if (inline !== null) {
        try {
          return await this.#create(input.batchId, inline.model, inline.requests);
        } catch (error) {
          // Gemini parses an inline create as one payload: a field one request has and the
          // API does not refuses the whole call. Through a file, each line is judged alone, so
          // that request gets its own error and its neighbours run.
          if (!(error instanceof InvalidInputError && error.code === 'invalid_request'))
            throw error;
        }
      }
    }
    return parts.withTempDir(this.#tmpDir, 'batchlane-gemini-', async (dir) => {
      const { path, model } = await parts.stageInputFile(readStoredLines(input), dir, (line) =>
        JSON.stringify(geminiRequestOf(line)),
      );
      const fileName = await this.#upload(input.batchId, path);
      return this.#create(input.batchId, model, fileName);
    });
  }

  async retrieve(providerBatchId: string): Promise<ProviderBatchSnapshot> {
    return toSnapshot(await this.#get(providerBatchId));
  }

  async cancel(providerBatchId: string): Promise<ProviderBatchSnapshot> {
    assertBatchName(providerBatchId, 'batches.cancel');
    await this.#call('batches.cancel', () =>
      this.#client.batches.cancel({ name: providerBatchId }),
    );
    return this.retrieve(providerBatchId);
  }

  /**
   * The results as responses-file JSONL. A file is downloaded to a temporary file first (the
   * SDK writes downloads to a path) and streamed from there; inline responses are read from
   * the batch and written one line each.
   */
  async openResults(ref: string): Promise<Readable> {
    if (ref.startsWith(parts.INLINE_REF_PREFIX)) {
      const job = await this.#get(ref.slice(parts.INLINE_REF_PREFIX.length));
      return parts.inlineResults(job.dest?.inlinedResponses ?? [], inlineResponseLine);
    }
    const dir = await mkdtemp(join(this.#tmpDir, 'batchlane-gemini-'));
    const path = join(dir, 'results.jsonl');
    try {
      await parts.openKeptResults(
        'gemini',
        ref,
        () =>
          this.#call('files.download', () =>
            this.#client.files.download({ file: ref, downloadPath: path }),
          ),
        () => this.#fileStillThere(ref),
        isMissingFile,
      );
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
    const stream = createReadStream(path);
    stream.once('close', () => {
      rm(dir, { recursive: true, force: true }).catch(() => undefined);
    });
    return stream;
  }

  /**
   * Whether Gemini still has the file. Files live 48 hours; one that is gone (or expired) is
   * answered 403 `PERMISSION_DENIED`, as a key without access would be: so the key is proved
   * first by listing files with it (a refused key fails that too, and the error stands).
   */
  async #fileStillThere(name: string): Promise<boolean> {
    try {
      await this.#call('files.get', () => this.#client.files.get({ name }));
      return true;
    } catch (error) {
      if (!isMissingFile(error)) throw error;
    }
    await this.#call('files.list', () => this.#client.files.list({ config: { pageSize: 1 } }));
    return false;
  }

  /**
   * Deletes the batch's responses file, its uploaded input file and the batch itself, once
   * batchlane has archived the results. What is already gone is not an error.
   */
  async deleteArtifacts(providerBatchId: string): Promise<void> {
    // Deleted already, with its files (an earlier run of this cleanup).
    const job = await parts.nullIfMissing(() => this.#get(providerBatchId));
    if (job === null) return;
    const files = [job.dest?.fileName, job.displayName ? inputFileNameOf(job.displayName) : null];
    for (const name of parts.presentIds(files)) {
      await this.#ignoreMissing(() =>
        this.#call('files.delete', () => this.#client.files.delete({ name })),
      );
    }
    await this.#ignoreMissing(() =>
      this.#call('batches.delete', () => this.#client.batches.delete({ name: providerBatchId })),
    );
  }

  /**
   * The batch made for batchlane batch `batchId` (its display name), created no earlier than
   * `hint.submittedAfter`, or null: Gemini's create is not idempotent, so a submission retried
   * after a crash adopts the batch it already made.
   */
  async findByBatchId(
    batchId: string,
    hint: Partial<FindBatchHint> = {},
  ): Promise<ProviderBatchSnapshot | null> {
    const notBefore = hint.submittedAfter?.getTime() ?? Number.NEGATIVE_INFINITY;
    return this.#call('batches.list', async () => {
      const pager = await this.#client.batches.list({ config: { pageSize: 100 } });
      for await (const job of pager) {
        const created = job.createTime === undefined ? Number.NaN : Date.parse(job.createTime);
        if (job.displayName === batchId && !(created < notBefore)) return toSnapshot(job);
      }
      return null;
    });
  }

  /** The inline create requests, or null when they would not fit in one create call. */
  async #readInline(
    input: SubmitBatchInput,
  ): Promise<{ model: string; requests: Record<string, unknown>[] } | null> {
    const requests: Record<string, unknown>[] = [];
    let model = '';
    let bytes = 0;
    for await (const line of readStoredLines(input)) {
      model = line.model;
      const { key, request: body } = geminiRequestOf(line);
      const request = { request: body, metadata: { key } };
      bytes += Buffer.byteLength(JSON.stringify(request)) + 1;
      if (bytes > INLINE_MAX_CREATE_BYTES - 1024) return null;
      requests.push(request);
    }
    return { model, requests };
  }

  /**
   * Uploads the input file under a name derived from the batch id. A file already there is
   * from an earlier try of this submission that stopped before its create: it is replaced,
   * since the input may have been trimmed since.
   */
  async #upload(batchId: string, path: string): Promise<string> {
    const name = inputFileNameOf(batchId);
    const upload = () =>
      this.#call('files.upload', () =>
        this.#client.files.upload({
          file: path,
          config: { name, displayName: batchId, mimeType: 'jsonl' },
        }),
      );
    try {
      return (await upload()).name ?? name;
    } catch (error) {
      if (!(error instanceof InvalidInputError && error.code === 'conflict')) throw error;
      await this.#ignoreMissing(() =>
        this.#call('files.delete', () => this.#client.files.delete({ name })),
      );
      return (await upload()).name ?? name;
    }
  }

  async #create(
    batchId: string,
    model: string,
    src: string | Record<string, unknown>[],
  ): Promise<ProviderBatchSnapshot> {
    const job = await this.#call('batches.create', () =>
      typeof src === 'string'
        ? this.#client.batches.create({ model, src, config: { displayName: batchId } })
        : // The SDK would rebuild each inline request from its own `InlinedRequest` shape,
          // dropping the REST fields producers send (`generationConfig`, `systemInstruction`,
          // `tools`, …); the requests go as written, through its documented `extraBody`.
          this.#client.batches.create({
            model,
            src: [],
            config: {
              displayName: batchId,
              httpOptions: {
                extraBody: { batch: { inputConfig: { requests: { requests: src } } } },
              },
            },
          }),
    );
    return toSnapshot(job);
  }

  async #get(name: string): Promise<BatchJob> {
    assertBatchName(name, 'batches.get');
    return this.#call('batches.get', () => this.#client.batches.get({ name }));
  }

  /**
   * Runs a delete, taking "not there" for done. Gemini answers a file that is gone (or
   * expired) with 403 `PERMISSION_DENIED`, not 404, so that counts as gone too; the batch's
   * own calls have already proved the key works.
   */
  async #ignoreMissing(call: () => Promise<unknown>): Promise<void> {
    await parts.ignoreMissing(call, isMissingFile);
  }

  async #call<T>(operation: string, call: () => Promise<T>): Promise<T> {
    return parts.callProvider('gemini', operation, call);
  }
}

/** How Gemini answers a file that is not there: 404, or 403 `PERMISSION_DENIED`. */
const isMissingFile = (error: unknown): boolean =>
  error instanceof NotFoundError || (error instanceof AuthError && error.code === 'forbidden');

/**
 * The SDK refuses a name not under `batches/` before sending, with a plain Error that would
 * read as a connection failure (retryable); no batch can have such a name.
 */
const assertBatchName = (name: string, operation: string): void => {
  if (name.startsWith('batches/')) return;
  throw new NotFoundError(`gemini batch ${name} does not exist: not a batches/ name`, {
    code: 'not_found',
    details: { provider: 'gemini', operation },
  });
};

export { GeminiBatchProvider, type GeminiBatchProviderOptions, inputFileNameOf };
