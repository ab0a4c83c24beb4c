import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import Anthropic from '@anthropic-ai/sdk';
import type {
  BatchCreateParams,
  MessageBatch,
} from '@anthropic-ai/sdk/resources/messages/batches.js';
import { InvalidInputError, NotFoundError } from '../../domain/errors.js';
import type {
  BatchProvider,
  ProviderBatchSnapshot,
  SubmitBatchInput,
} from '../../ports/BatchProvider.js';
import { responseBodyToReadable } from './responseBodyToReadable.js';
import { translateProviderError } from './translateProviderError.js';

/** How to build the SDK client, or the client itself (tests, shared clients). */
type AnthropicBatchProviderOptions =
  | {
      readonly apiKey: string;
      /** Without `/v1` (the SDK's paths carry it). Null or absent: the SDK default. */
      readonly baseUrl?: string | null;
      /** SDK-level retries of one call (default 2). */
      readonly maxRetries?: number;
      readonly timeoutMs?: number;
    }
  | { readonly client: Anthropic };

type AnthropicRequest = BatchCreateParams.Request;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** An absolute URL (`scheme:`) or a root-relative path: anything else is a batch id. */
const looksLikeUrl = (ref: string): boolean =>
  /^[a-z][a-z0-9+.-]*:/i.test(ref) || ref.startsWith('/');

const toSnapshot = (batch: MessageBatch): ProviderBatchSnapshot => {
  const ended = batch.processing_status === 'ended';
  return {
    providerBatchId: batch.id,
    phase: ended ? 'ended' : 'running',
    providerStatus: batch.processing_status,
    expiresAt: batch.expires_at,
    endedAt: batch.ended_at,
    // Anthropic never refuses a batch as a whole once created: bad params come back as
    // `errored` result lines.
    failure: null,
    // `results_url` is only set once ended; the batch id lets openResults look it up later.
    resultRefs: ended ? [batch.results_url ?? batch.id] : [],
  };
};

const malformedLine = (lineNumber: number, reason: string): InvalidInputError =>
  new InvalidInputError(`Batch input line ${lineNumber} ${reason}`, {
    code: 'malformed_input_line',
    details: { provider: 'anthropic', line: lineNumber },
  });

const parseRequestLine = (line: string, lineNumber: number): AnthropicRequest => {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw malformedLine(lineNumber, 'is not valid JSON');
  }
  if (!isObject(value) || typeof value.custom_id !== 'string' || !isObject(value.params)) {
    throw malformedLine(lineNumber, 'is not {custom_id, params}');
  }
  // The body was validated at intake; the API validates it again, per request.
  return {
    custom_id: value.custom_id,
    params: value.params as unknown as AnthropicRequest['params'],
  };
};

/**
 * Reads the collector's JSONL (`{"custom_id","params"}` per line) into create `requests`.
 * The whole create body is one JSON document (≤ 256 MB), so it is held in memory anyway.
 */
const readRequests = async (input: Readable): Promise<AnthropicRequest[]> => {
  const requests: AnthropicRequest[] = [];
  let lineNumber = 0;
  try {
    for await (const line of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
      lineNumber += 1;
      if (line.trim() !== '') requests.push(parseRequestLine(line, lineNumber));
    }
  } finally {
    // Leaving early on a bad line must not leave the source (an S3 socket) open.
    input.destroy();
  }
  return requests;
};

/** Anthropic's Message Batches API through `@anthropic-ai/sdk`. */
class AnthropicBatchProvider implements BatchProvider {
  readonly name = 'anthropic' as const;
  readonly #client: Anthropic;

  constructor(options: AnthropicBatchProviderOptions) {
    this.#client =
      'client' in options
        ? options.client
        : new Anthropic({
            apiKey: options.apiKey,
            ...(options.baseUrl ? { baseURL: options.baseUrl } : {}),
            ...(options.maxRetries === undefined ? {} : { maxRetries: options.maxRetries }),
            ...(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs }),
          });
  }

  async submit(input: SubmitBatchInput): Promise<ProviderBatchSnapshot> {
    const requests = await readRequests(await input.openInput());
    if (requests.length === 0 || requests.length !== input.requestCount) {
      throw new InvalidInputError(
        `Batch ${input.batchId} input has ${requests.length} requests, expected ${input.requestCount}`,
        {
          code: 'input_count_mismatch',
          details: { batchId: input.batchId, found: requests.length, expected: input.requestCount },
        },
      );
    }
    // Anthropic keeps no metadata on a batch, so batchId cannot be recorded there.
    const batch = await this.#call('batches.create', () =>
      this.#client.messages.batches.create({ requests }),
    );
    return toSnapshot(batch);
  }

  async retrieve(providerBatchId: string): Promise<ProviderBatchSnapshot> {
    const batch = await this.#call('batches.retrieve', () =>
      this.#client.messages.batches.retrieve(providerBatchId),
    );
    return toSnapshot(batch);
  }

  async cancel(providerBatchId: string): Promise<ProviderBatchSnapshot> {
    const batch = await this.#call('batches.cancel', () =>
      this.#client.messages.batches.cancel(providerBatchId),
    );
    return toSnapshot(batch);
  }

  /**
   * The raw results JSONL. `ref` is a `results_url` or, when the batch had none yet, the
   * batch id. `messages.batches.results()` would decode every line into objects; the same
   * GET is issued here with `__binaryResponse` and read as the raw `Response` instead.
   */
  async openResults(ref: string): Promise<Readable> {
    const url = looksLikeUrl(ref) ? ref : await this.#resultsUrl(ref);
    this.#assertSameOrigin(url);
    const response = await this.#call('batches.results', () =>
      this.#client
        .get(url, {
          headers: { Accept: 'application/binary' },
          stream: true,
          __binaryResponse: true,
        })
        .asResponse(),
    );
    return responseBodyToReadable(response);
  }

  async #resultsUrl(providerBatchId: string): Promise<string> {
    const batch = await this.#call('batches.retrieve', () =>
      this.#client.messages.batches.retrieve(providerBatchId),
    );
    if (batch.results_url === null) {
      throw new NotFoundError(`Anthropic batch ${batch.id} has no results (yet)`, {
        code: 'results_not_available',
        details: { providerBatchId: batch.id, processingStatus: batch.processing_status },
      });
    }
    return batch.results_url;
  }

  /**
   * The SDK sends the API key to whatever absolute URL it is given, and result refs are
   * stored outside the provider; so only URLs on the API's own origin are followed.
   */
  #assertSameOrigin(url: string): void {
    if (!/^[a-z][a-z0-9+.-]*:/i.test(url)) return;
    const origin = new URL(url).origin;
    if (origin !== new URL(this.#client.baseURL).origin) {
      throw new InvalidInputError(`Refusing results URL outside ${this.#client.baseURL}`, {
        code: 'untrusted_results_url',
        details: { provider: 'anthropic', origin },
      });
    }
  }

  async #call<T>(operation: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw translateProviderError(error, { provider: 'anthropic', operation });
    }
  }
}

export { AnthropicBatchProvider, type AnthropicBatchProviderOptions };
