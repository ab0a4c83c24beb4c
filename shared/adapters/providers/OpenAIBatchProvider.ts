import type { Readable } from 'node:stream';
import OpenAI, { AzureOpenAI, toFile, toStreamingFile } from 'openai';
import type { Batch } from 'openai/resources/batches.js';
import {
  type ProviderProfile,
  profileEndpointPath,
  profileModelName,
} from '../../contract/providerProfile.js';
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
import { bufferIfSmall } from './bufferIfSmall.js';
import { jsonlLines } from './jsonlLines.js';
import { responseBodyToReadable } from './responseBodyToReadable.js';
import { retryStreamingCall } from './retryStreamingCall.js';
import { streamingFetchOptions } from './streamingFetchOptions.js';

/**
 * How to build the SDK client (`baseUrl` including `/v1`, e.g. `http://127.0.0.1:8080/v1`;
 * `maxRetries`: the SDK's, or the adapter's for the file upload), or the client itself.
 */
type OpenAIBatchProviderOptions = parts.BatchClientChoice<OpenAI> & {
  /**
   * The OpenAI-compatible provider to drive instead of OpenAI: its base URL (when `baseUrl`
   * does not override it), client, limits, window and departures.
   */
  readonly profile?: ProviderProfile;
};

/** Metadata key recording batchlane's batch id on the OpenAI batch (crash reconciliation). */
const BATCH_ID_METADATA_KEY = 'batchlane_batch_id';

/** OpenAI's own cap on one batch input file (the collector packs below it). */
const OPENAI_MAX_INPUT_FILE_BYTES = PROVIDER_LIMITS.openai.maxBytes;

type OpenAIEndpoint = (typeof PROVIDER_ENDPOINTS.openai)[number];

const ENDED_STATUSES: readonly string[] = ['completed', 'failed', 'expired', 'cancelled'];

/**
 * A timestamp as the wire carries it → ISO: Unix seconds (OpenAI; null for unset fields despite
 * the SDK types) or RFC 3339 (Together).
 */
const isoFromWire = (value: number | string | null | undefined): string | null => {
  if (typeof value === 'number') return new Date(value * 1000).toISOString();
  if (typeof value !== 'string') return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
};

/** Unix seconds of a wire timestamp (see {@link isoFromWire}), or null. */
const secondsFromWire = (value: number | string | null | undefined): number | null => {
  const iso = isoFromWire(value);
  return iso === null ? null : Math.floor(Date.parse(iso) / 1000);
};

/** The wire's timestamps may be strings (Together) where the SDK types say numbers. */
type WireTime = number | string | null | undefined;

/** Fields of Together's batch object where OpenAI's has others. */
interface TogetherBatchFields {
  readonly job_deadline?: string | null;
  readonly error?: string | null;
}

const toSnapshot = (batch: Batch): ProviderBatchSnapshot => {
  // Together answers `IN_PROGRESS`, `COMPLETED`, ...: the same states in upper case.
  const status = String(batch.status).toLowerCase();
  const ended = ENDED_STATUSES.includes(status);
  const together = batch as unknown as TogetherBatchFields;
  const firstError = batch.errors?.data?.[0] ?? {
    code: undefined,
    message: typeof together.error === 'string' ? together.error : undefined,
  };
  return {
    providerBatchId: batch.id,
    batchId: batch.metadata?.[BATCH_ID_METADATA_KEY] ?? null,
    phase: ended ? 'ended' : 'running',
    providerStatus: status,
    expiresAt: isoFromWire((batch.expires_at as WireTime) ?? together.job_deadline),
    endedAt: ended
      ? isoFromWire(
          (batch.completed_at ?? batch.failed_at ?? batch.expired_at ?? batch.cancelled_at) as
            | WireTime
            | undefined,
        )
      : null,
    failure:
      status === 'failed'
        ? {
            code: firstError?.code ?? 'batch_failed',
            message: firstError?.message ?? 'The provider failed the batch without a reason',
          }
        : null,
    resultRefs: parts.presentIds([batch.output_file_id, batch.error_file_id]),
  };
};

/**
 * Input files up to this size are uploaded as one form, with a content-length, and larger
 * ones streamed; either way memory stays bounded by about this much, not by the file.
 */
const BUFFERED_UPLOAD_MAX_BYTES = 4 * 1024 * 1024;

/**
 * The input's bytes as they are pulled, failing once past the provider's cap: `inputBytes` is
 * checked before, but the bytes read are what is sent, and failing the body mid-way fails
 * the upload before the provider stores a file.
 */
async function* cappedBytes(
  input: AsyncIterable<Buffer | string>,
  tooLarge: () => Error,
  maxBytes: number,
): AsyncGenerator<Uint8Array, void, undefined> {
  let size = 0;
  for await (const chunk of input) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += bytes.byteLength;
    if (size > maxBytes) throw tooLarge();
    yield bytes;
  }
}

/** Whether the stored OpenAI lines must be rewritten into the profile's own as they are sent. */
const rewritesLines = (profile: ProviderProfile | null): profile is ProviderProfile =>
  profile !== null &&
  (profile.quirks.inputLine === 'body_only' || profile.quirks.client === 'azure');

/**
 * The stored OpenAI lines (`{custom_id, method, url, body}`) as the profile takes them, one at
 * a time: Together's `{custom_id, body}`; Azure's url without `/v1` and the deployment in
 * `body.model`.
 */
async function* profileLines(
  source: Readable,
  profile: ProviderProfile,
): AsyncGenerator<string, void, undefined> {
  for await (const text of jsonlLines(source)) {
    if (text.trim() === '') continue;
    const line = JSON.parse(text) as {
      custom_id: string;
      url: string;
      body: Record<string, unknown>;
    };
    const model = line.body['model'];
    const body =
      typeof model === 'string' && profile.quirks.client === 'azure'
        ? { ...line.body, model: profileModelName(profile, model) }
        : line.body;
    const out =
      profile.quirks.inputLine === 'body_only'
        ? { custom_id: line.custom_id, body }
        : {
            custom_id: line.custom_id,
            method: 'POST',
            url: profileEndpointPath(profile, line.url),
            body,
          };
    yield `${JSON.stringify(out)
      .replace(/\u2028/g, '\\u2028')
      .replace(/\u2029/g, '\\u2029')}\n`;
  }
}

/** Builds the SDK client a profile needs: `AzureOpenAI` for Azure, `OpenAI` otherwise. */
const createClient = (
  options: parts.BatchClientSettings,
  profile: ProviderProfile | null,
): OpenAI => {
  const common = parts.stainlessClientOptions({
    ...options,
    baseUrl: options.baseUrl || profile?.baseUrl,
  });
  if (profile?.quirks.client === 'azure') {
    // `endpoint` is the resource URL; the client adds `/openai` and the `api-version` query.
    const { baseURL, ...rest } = common;
    return new AzureOpenAI({
      ...rest,
      endpoint: baseURL ?? profile.baseUrl,
      apiVersion: profile.quirks.apiVersion ?? undefined,
    });
  }
  return new OpenAI(common);
};

/**
 * OpenAI's Batch API (and Files API) through the `openai` SDK, or an OpenAI-compatible
 * provider's, driven by its profile.
 */
class OpenAIBatchProvider implements BatchProvider {
  readonly name: ProviderName;
  readonly #client: OpenAI;
  readonly #profile: ProviderProfile | null;
  readonly #maxBytes: number;
  readonly #endpoints: readonly string[];

  constructor(options: OpenAIBatchProviderOptions) {
    this.#profile = options.profile ?? null;
    // Only built-in profiles reach here as providers; their ids are provider names.
    this.name = (this.#profile?.id ?? 'openai') as ProviderName;
    this.#maxBytes = this.#profile?.limits.maxBytes ?? OPENAI_MAX_INPUT_FILE_BYTES;
    this.#endpoints = this.#profile?.endpoints ?? PROVIDER_ENDPOINTS.openai;
    this.#client = parts.clientOf(options, (settings) => createClient(settings, this.#profile));
  }

  async submit(input: SubmitBatchInput): Promise<ProviderBatchSnapshot> {
    const endpoint = input.endpoint;
    if (!this.#endpoints.includes(endpoint)) {
      throw parts.unsupportedBatchEndpoint(this.name, endpoint);
    }
    const tooLarge = () => parts.inputTooLarge(this.name, this.#maxBytes);
    if (input.inputBytes > this.#maxBytes) throw tooLarge();
    const name = `${input.batchId}.jsonl`;
    const profile = this.#profile;
    const file = await retryStreamingCall({
      context: { provider: this.name, operation: 'files.create' },
      maxRetries: this.#client.maxRetries,
      send: async (retryCount, watch) => {
        const source = await input.openInput();
        try {
          const lines = rewritesLines(profile) ? profileLines(source, profile) : source;
          const body = await bufferIfSmall(
            watch(cappedBytes(lines as AsyncIterable<Buffer | string>, tooLarge, this.#maxBytes)),
            BUFFERED_UPLOAD_MAX_BYTES,
          );
          // `toStreamingFile` names the file without reading it into a `File` (which `toFile`
          // does); the SDK then writes the multipart body as the chunks are pulled.
          return await this.#client.files.create(
            {
              file:
                body.kind === 'buffered'
                  ? await toFile(body.bytes, name, { type: 'application/jsonl' })
                  : toStreamingFile(body.chunks, name, { type: 'application/jsonl' }),
              // Together takes `batch-api`; the SDK types name OpenAI's purposes only.
              purpose: (profile?.quirks.filePurpose ?? 'batch') as 'batch',
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
    const created = await this.#call('batches.create', () =>
      this.#client.batches.create({
        input_file_id: file.id,
        // Azure names endpoints without `/v1`; the SDK types name OpenAI's.
        endpoint: (profile === null
          ? endpoint
          : profileEndpointPath(profile, endpoint)) as OpenAIEndpoint,
        // Groq takes 24h to 7d; the SDK types name OpenAI's only value.
        completion_window: (profile?.window.request ?? '24h') as '24h',
        ...(profile?.quirks.batchMetadata === false
          ? {}
          : { metadata: { [BATCH_ID_METADATA_KEY]: input.batchId } }),
      }),
    );
    return toSnapshot(this.#unwrap(created));
  }

  /** Together's create answers `{"job": batch}`; everything else the batch itself. */
  #unwrap(created: Batch): Batch {
    if (this.#profile?.quirks.createEnvelope !== 'job') return created;
    const job = (created as unknown as { job?: unknown }).job;
    return typeof job === 'object' && job !== null ? (job as Batch) : created;
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
    const fileIds = [batch.input_file_id, batch.output_file_id, batch.error_file_id];
    for (const fileId of parts.presentIds(fileIds)) {
      await parts.ignoreMissing(() =>
        this.#call('files.delete', () => this.#client.files.delete(fileId)),
      );
    }
  }

  /**
   * The raw bytes of an output or error file (`ref` is its file id). Output files are deleted
   * 30 days after the batch ends (or its `output_expires_after`): one the Files API no longer
   * has is reported gone for good.
   */
  async openResults(ref: string): Promise<Readable> {
    const response = await parts.openKeptResults(
      this.name,
      ref,
      () => this.#call('files.content', () => this.#client.files.content(ref)),
      async () =>
        (await parts.nullIfMissing(() =>
          this.#call('files.retrieve', () => this.#client.files.retrieve(ref)),
        )) !== null,
    );
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
    const inputFileId =
      this.#profile?.quirks.batchMetadata === false ? await this.#inputFileOf(batchId) : null;
    if (this.#profile?.quirks.batchMetadata === false && inputFileId === null) return null;
    return this.#call('batches.list', async () => {
      for await (const batch of this.#client.batches.list({ limit: 100 })) {
        const matches =
          inputFileId === null
            ? batch.metadata?.[BATCH_ID_METADATA_KEY] === batchId
            : batch.input_file_id === inputFileId;
        if (matches) return toSnapshot(batch);
        const createdAt = secondsFromWire(batch.created_at as WireTime);
        if (notBeforeSeconds !== null && createdAt !== null && createdAt < notBeforeSeconds) {
          return null;
        }
      }
      return null;
    });
  }

  /**
   * The id of the input file uploaded for batchlane batch `batchId` (named `{batchId}.jsonl`),
   * for providers whose batches carry no metadata; null when none was uploaded.
   */
  async #inputFileOf(batchId: string): Promise<string | null> {
    const filename = `${batchId}.jsonl`;
    return this.#call('files.list', async () => {
      for await (const file of this.#client.files.list()) {
        if (file.filename === filename) return file.id;
      }
      return null;
    });
  }

  async #call<T>(operation: string, call: () => Promise<T>): Promise<T> {
    return parts.callProvider(this.name, operation, call);
  }
}

export { BATCH_ID_METADATA_KEY, OpenAIBatchProvider, type OpenAIBatchProviderOptions };
