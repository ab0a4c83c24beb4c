import type { Readable } from 'node:stream';
import Anthropic from '@anthropic-ai/sdk';
import type {
  BatchCreateParams,
  MessageBatch,
} from '@anthropic-ai/sdk/resources/messages/batches.js';
import { InvalidInputError, NotFoundError, PROVIDER_RESULTS_GONE } from '../../domain/errors.js';
import { isJsonObject } from '../../domain/isJsonObject.js';
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
 * How to build the SDK client (`baseUrl` without `/v1`, which the SDK's paths carry;
 * `maxRetries`: the SDK's, or the adapter's for a streamed create), or the client itself.
 */
type AnthropicBatchProviderOptions = parts.BatchClientChoice<Anthropic>;

type AnthropicRequest = BatchCreateParams.Request;

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
    // `results_url` is only set once ended; the batch id lets openResults look it up later,
    // and is the ref of an archived batch, whose results are gone (openResults says so).
    resultRefs: ended
      ? [batch.archived_at === null ? (batch.results_url ?? batch.id) : batch.id]
      : [],
  };
};

/**
 * How long after a submission started its create call may have been accepted: a Lambda
 * runs for at most 15 minutes, and the hint's start is already widened for clock skew.
 */
const SUBMISSION_WINDOW_MS = 20 * 60 * 1000;

/** Batches asked for per list page (the API allows 1 to 1000). */
const LIST_PAGE_SIZE = 100;

/** Every request of a batch, whatever its state: the size it was created with. */
const requestTotal = (batch: MessageBatch): number => {
  const c = batch.request_counts;
  return c.processing + c.succeeded + c.errored + c.canceled + c.expired;
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
  if (!isJsonObject(value) || typeof value.custom_id !== 'string' || !isJsonObject(value.params)) {
    throw malformedLine(lineNumber, 'is not {custom_id, params}');
  }
  // The body was validated at intake; the API validates it again, per request.
  return {
    custom_id: value.custom_id,
    params: value.params as unknown as AnthropicRequest['params'],
  };
};

/**
 * Create bodies up to this size are sent whole, with a content-length, and the rest streamed;
 * either way memory stays bounded by about this much, not by the batch.
 */
const BUFFERED_BODY_MAX_BYTES = 4 * 1024 * 1024;

/** Lines of the create body are sent in chunks of about this many characters. */
const BODY_CHUNK_CHARS = 64 * 1024;

const countMismatch = (batchId: string, found: number, expected: number): InvalidInputError =>
  new InvalidInputError(`Batch ${batchId} input has ${found} requests, expected ${expected}`, {
    code: 'input_count_mismatch',
    details: { batchId, found, expected },
  });

/**
 * Validates every line of the collector's JSONL (`{"custom_id","params"}` per line) and
 * counts the requests, holding one line at a time: the create call is only made for an
 * input known to be whole and well-formed, since its body is streamed and cannot be taken
 * back halfway without failing the call.
 */
const countRequests = async (input: Readable): Promise<number> => {
  let count = 0;
  let lineNumber = 0;
  for await (const line of jsonlLines(input)) {
    lineNumber += 1;
    if (line.trim() === '') continue;
    parseRequestLine(line, lineNumber);
    count += 1;
  }
  return count;
};

/**
 * The create body `{"requests":[…]}`, produced from the input as it is pulled. Each line is
 * parsed again, so the body carries exactly the `{custom_id, params}` of each line, and an
 * input that changed since it was counted fails the call (its body ends early) instead of
 * creating a different batch.
 */
async function* createBody(
  input: Readable,
  batchId: string,
  expected: number,
): AsyncGenerator<Uint8Array, void, undefined> {
  let pending = '{"requests":[';
  let count = 0;
  let lineNumber = 0;
  for await (const line of jsonlLines(input)) {
    lineNumber += 1;
    if (line.trim() === '') continue;
    const request = parseRequestLine(line, lineNumber);
    count += 1;
    if (count > expected) throw countMismatch(batchId, count, expected);
    pending += `${count === 1 ? '' : ','}${JSON.stringify(request)}`;
    if (pending.length >= BODY_CHUNK_CHARS) {
      yield Buffer.from(pending, 'utf8');
      pending = '';
    }
  }
  if (count !== expected) throw countMismatch(batchId, count, expected);
  yield Buffer.from(`${pending}]}`, 'utf8');
}

/** Anthropic's Message Batches API through `@anthropic-ai/sdk`. */
class AnthropicBatchProvider implements BatchProvider {
  readonly name = 'anthropic' as const;
  readonly #client: Anthropic;

  constructor(options: AnthropicBatchProviderOptions) {
    this.#client = parts.clientOf(
      options,
      (settings) => new Anthropic(parts.stainlessClientOptions(settings)),
    );
  }

  async submit(input: SubmitBatchInput): Promise<ProviderBatchSnapshot> {
    const found = await countRequests(await input.openInput());
    if (found === 0 || found !== input.requestCount) {
      throw countMismatch(input.batchId, found, input.requestCount);
    }
    // Anthropic keeps no metadata on a batch, so batchId cannot be recorded there.
    const batch = await retryStreamingCall({
      context: { provider: 'anthropic', operation: 'batches.create' },
      maxRetries: this.#client.maxRetries,
      send: async (retryCount, watch) => {
        const source = await input.openInput();
        try {
          const body = await bufferIfSmall(
            watch(createBody(source, input.batchId, input.requestCount)),
            BUFFERED_BODY_MAX_BYTES,
          );
          // `options.body` replaces the JSON the SDK would make of `params` (see its
          // `buildBody`); the SDK sends a stream chunked and a string as it is, and sets no
          // content type for either.
          return await this.#client.messages.batches.create(
            { requests: [] },
            {
              body: body.kind === 'buffered' ? body.bytes.toString('utf8') : body.chunks,
              maxRetries: 0,
              fetchOptions: streamingFetchOptions,
              headers: {
                'content-type': 'application/json',
                // Our retries are retries too: the header tells the provider (and the simulator).
                'x-stainless-retry-count': String(retryCount),
              },
            },
          );
        } finally {
          source.destroy();
        }
      },
    });
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

  /** Deletes the ended batch (its results with it); batchlane has archived them. */
  async deleteArtifacts(providerBatchId: string): Promise<void> {
    await this.#call('batches.delete', () => this.#client.messages.batches.delete(providerBatchId));
  }

  /**
   * The batch a lost submission created, found without metadata. Anthropic keeps nothing of
   * batchlane's on a batch, so the match is a heuristic over what is known of the lost
   * create call: the batch was created after `hint.submittedAfter` (the time batchlane
   * recorded before the call, less clock skew) and at most {@link SUBMISSION_WINDOW_MS}
   * later, and it holds exactly `hint.requestCount` requests. Batches are listed newest
   * first and the scan stops at the first one created before the window. A candidate is
   * adopted only when it is the one batch that fits: with none, or with several (two
   * batchlane batches of the same size submitted close together), null is returned and the
   * caller submits again, since a second provider batch costs money but adopting another
   * batch's results would deliver wrong answers (for the same reason, submitBatch refuses a
   * candidate that another batchlane batch already recorded). `batchId` is not used:
   * Anthropic cannot hold it.
   */
  async findByBatchId(
    _batchId: string,
    hint: FindBatchHint,
  ): Promise<ProviderBatchSnapshot | null> {
    const after = hint.submittedAfter.getTime();
    const before = after + SUBMISSION_WINDOW_MS;
    const candidates = await this.#call('batches.list', async () => {
      const found: MessageBatch[] = [];
      for await (const batch of this.#client.messages.batches.list({ limit: LIST_PAGE_SIZE })) {
        const createdAt = Date.parse(batch.created_at);
        if (createdAt < after) break;
        if (createdAt <= before && requestTotal(batch) === hint.requestCount) found.push(batch);
        // Two fits already make the answer null; listing further cannot change that.
        if (found.length > 1) break;
      }
      return found;
    });
    const [only] = candidates;
    return candidates.length === 1 && only !== undefined ? toSnapshot(only) : null;
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
    if (batch.archived_at !== null) {
      // Results are kept 29 days from creation; `archived_at` is Anthropic's word that they
      // are gone for good (a bare 404 on the results may be a propagation delay, and is not).
      throw new NotFoundError(`Anthropic batch ${batch.id} was archived: its results are gone`, {
        code: PROVIDER_RESULTS_GONE,
        details: {
          provider: 'anthropic',
          providerBatchId: batch.id,
          ref: batch.id,
          archivedAt: batch.archived_at,
        },
      });
    }
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
    return parts.callProvider('anthropic', operation, call);
  }
}

export { AnthropicBatchProvider, type AnthropicBatchProviderOptions };
