import type { Readable } from 'node:stream';
import OpenAI, { toFile, toStreamingFile } from 'openai';
import type { Batch } from 'openai/resources/batches.js';
import {
  PROVIDER_ENDPOINTS,
  PROVIDER_LIMITS,
  type ProviderName,
} from '../../contract/providers.js';
import { InvalidInputError, NotFoundError } from '../../domain/errors.js';
import type {
  BatchProvider,
  FindBatchHint,
  ProviderBatchSnapshot,
  SubmitBatchInput,
} from '../../ports/BatchProvider.js';
import { bufferIfSmall } from './bufferIfSmall.js';
import { responseBodyToReadable } from './responseBodyToReadable.js';
import { retryStreamingCall } from './retryStreamingCall.js';
import { streamingFetchOptions } from './streamingFetchOptions.js';
import { translateProviderError } from './translateProviderError.js';

/** How to build the SDK client, or the client itself (tests, shared clients). */
type OpenAIBatchProviderOptions =
  | {
      readonly apiKey: string;
      /** Including `/v1`, e.g. `http://127.0.0.1:8080/v1`. Null or absent: the SDK default. */
      readonly baseUrl?: string | null;
      /** Retries of one call (default 2): the SDK's, or the adapter's for the file upload. */
      readonly maxRetries?: number;
      readonly timeoutMs?: number;
      readonly name?: 'openai';
    }
  | { readonly client: OpenAI; readonly name?: 'openai' };

/** Metadata key recording batchlane's batch id on the OpenAI batch (crash reconciliation). */
const BATCH_ID_METADATA_KEY = 'batchlane_batch_id';

/** OpenAI's own cap on one batch input file (the collector packs below it). */
const MAX_INPUT_FILE_BYTES = PROVIDER_LIMITS.openai.maxBytes;

type OpenAIEndpoint = (typeof PROVIDER_ENDPOINTS.openai)[number];

const ENDED_STATUSES: readonly string[] = ['completed', 'failed', 'expired', 'cancelled'];

const isOpenAIEndpoint = (endpoint: string): endpoint is OpenAIEndpoint =>
  (PROVIDER_ENDPOINTS.openai as readonly string[]).includes(endpoint);

/** Unix seconds (the wire may carry null for unset fields despite the SDK types) → ISO. */
const isoFromSeconds = (seconds: number | null | undefined): string | null =>
  typeof seconds === 'number' ? new Date(seconds * 1000).toISOString() : null;

const toSnapshot = (batch: Batch): ProviderBatchSnapshot => {
  const ended = ENDED_STATUSES.includes(batch.status);
  const firstError = batch.errors?.data?.[0];
  return {
    providerBatchId: batch.id,
    batchId: batch.metadata?.[BATCH_ID_METADATA_KEY] ?? null,
    phase: ended ? 'ended' : 'running',
    providerStatus: batch.status,
    expiresAt: isoFromSeconds(batch.expires_at),
    endedAt: ended
      ? isoFromSeconds(
          batch.completed_at ?? batch.failed_at ?? batch.expired_at ?? batch.cancelled_at,
        )
      : null,
    failure:
      batch.status === 'failed'
        ? {
            code: firstError?.code ?? 'batch_failed',
            message: firstError?.message ?? 'The provider failed the batch without a reason',
          }
        : null,
    resultRefs: [batch.output_file_id, batch.error_file_id].filter(
      (id): id is string => typeof id === 'string' && id !== '',
    ),
  };
};

/**
 * Input files up to this size are uploaded as one form, with a content-length, and larger
 * ones streamed; either way memory stays bounded by about this much, not by the file.
 */
const BUFFERED_UPLOAD_MAX_BYTES = 4 * 1024 * 1024;

const inputTooLarge = (): InvalidInputError =>
  new InvalidInputError(`Batch input exceeds OpenAI's ${MAX_INPUT_FILE_BYTES} bytes`, {
    code: 'input_too_large',
    details: { provider: 'openai', maxBytes: MAX_INPUT_FILE_BYTES },
  });

/**
 * The input's bytes as they are pulled, failing once past OpenAI's cap: `inputBytes` is
 * checked before, but the bytes read are what is sent, and failing the body mid-way fails
 * the upload before OpenAI stores a file.
 */
async function* cappedBytes(input: Readable): AsyncGenerator<Uint8Array, void, undefined> {
  let size = 0;
  for await (const chunk of input as AsyncIterable<Buffer | string>) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += bytes.byteLength;
    if (size > MAX_INPUT_FILE_BYTES) throw inputTooLarge();
    yield bytes;
  }
}

/** OpenAI's Batch API (and Files API) through the `openai` SDK. */
class OpenAIBatchProvider implements BatchProvider {
  readonly name: ProviderName;
  readonly #client: OpenAI;

  constructor(options: OpenAIBatchProviderOptions) {
    this.name = options.name ?? 'openai';
    this.#client =
      'client' in options
        ? options.client
        : new OpenAI({
            apiKey: options.apiKey,
            ...(options.baseUrl ? { baseURL: options.baseUrl } : {}),
            ...(options.maxRetries === undefined ? {} : { maxRetries: options.maxRetries }),
            ...(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs }),
          });
  }

  async submit(input: SubmitBatchInput): Promise<ProviderBatchSnapshot> {
    const endpoint = input.endpoint;
    if (!isOpenAIEndpoint(endpoint)) {
      throw new InvalidInputError(`OpenAI batches cannot target ${endpoint}`, {
        code: 'unsupported_endpoint',
        details: { provider: 'openai', endpoint },
      });
    }
    if (input.inputBytes > MAX_INPUT_FILE_BYTES) throw inputTooLarge();
    const name = `${input.batchId}.jsonl`;
    const file = await retryStreamingCall({
      context: { provider: 'openai', operation: 'files.create' },
      maxRetries: this.#client.maxRetries,
      send: async (retryCount, watch) => {
        const source = await input.openInput();
        try {
          const body = await bufferIfSmall(watch(cappedBytes(source)), BUFFERED_UPLOAD_MAX_BYTES);
          // `toStreamingFile` names the file without reading it into a `File` (which `toFile`
          // does); the SDK then writes the multipart body as the chunks are pulled.
          return await this.#client.files.create(
            {
              file:
                body.kind === 'buffered'
                  ? await toFile(body.bytes, name, { type: 'application/jsonl' })
                  : toStreamingFile(body.chunks, name, { type: 'application/jsonl' }),
              purpose: 'batch',
            },
            {
              maxRetries: 0,
              fetchOptions: streamingFetchOptions,
              // Our retries are retries too: the header tells the provider (and the simulator).
              headers: { 'x-stainless-retry-count': String(retryCount) },
            },
          );
        } finally {
          source.destroy();
        }
      },
    });
    const batch = await this.#call('batches.create', () =>
      this.#client.batches.create({
        input_file_id: file.id,
        endpoint,
        completion_window: '24h',
        metadata: { [BATCH_ID_METADATA_KEY]: input.batchId },
      }),
    );
    return toSnapshot(batch);
  }

  async retrieve(providerBatchId: string): Promise<ProviderBatchSnapshot> {
    const batch = await this.#call('batches.retrieve', () =>
      this.#client.batches.retrieve(providerBatchId),
    );
    return toSnapshot(batch);
  }

  async cancel(providerBatchId: string): Promise<ProviderBatchSnapshot> {
    const batch = await this.#call('batches.cancel', () =>
      this.#client.batches.cancel(providerBatchId),
    );
    return toSnapshot(batch);
  }

  /**
   * Deletes the batch's input, output and error files (batches themselves cannot be deleted);
   * batchlane has archived the results. A file already gone is not an error.
   */
  async deleteArtifacts(providerBatchId: string): Promise<void> {
    const batch = await this.#call('batches.retrieve', () =>
      this.#client.batches.retrieve(providerBatchId),
    );
    const fileIds = [batch.input_file_id, batch.output_file_id, batch.error_file_id].filter(
      (id): id is string => typeof id === 'string' && id.length > 0,
    );
    for (const fileId of fileIds) {
      try {
        await this.#call('files.delete', () => this.#client.files.delete(fileId));
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
      }
    }
  }

  /** The raw bytes of an output or error file (`ref` is its file id). */
  async openResults(ref: string): Promise<Readable> {
    const response = await this.#call('files.content', () => this.#client.files.content(ref));
    return responseBodyToReadable(response);
  }

  /**
   * The batch submitted earlier for batchlane batch `batchId`, found by its metadata, or
   * null. Used after a crash between the provider's create and batchlane's own record of
   * it, so the batch is adopted instead of submitted twice. The metadata match is exact, so
   * `hint.requestCount` is not needed; batches are listed newest first and
   * `hint.submittedAfter` (or `notBefore`, its older name) stops the scan at batches created
   * before that instant. Without either, every batch is scanned.
   */
  async findByBatchId(
    batchId: string,
    hint: Partial<FindBatchHint> & { readonly notBefore?: Date } = {},
  ): Promise<ProviderBatchSnapshot | null> {
    const notBefore = hint.submittedAfter ?? hint.notBefore;
    const notBeforeSeconds =
      notBefore === undefined ? null : Math.floor(notBefore.getTime() / 1000);
    return this.#call('batches.list', async () => {
      for await (const batch of this.#client.batches.list({ limit: 100 })) {
        if (batch.metadata?.[BATCH_ID_METADATA_KEY] === batchId) return toSnapshot(batch);
        if (notBeforeSeconds !== null && batch.created_at < notBeforeSeconds) return null;
      }
      return null;
    });
  }

  async #call<T>(operation: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw translateProviderError(error, { provider: 'openai', operation });
    }
  }
}

export { BATCH_ID_METADATA_KEY, OpenAIBatchProvider, type OpenAIBatchProviderOptions };
