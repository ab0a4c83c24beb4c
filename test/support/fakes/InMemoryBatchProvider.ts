import { Readable } from 'node:stream';
import { fakeAnthropicMessage } from '../../../local/simulator/fakeAnthropicMessage.js';
import {
  AuthError,
  InvalidInputError,
  NotFoundError,
  PROVIDER_RESULTS_GONE,
} from '../../../shared/domain/errors.js';
import type {
  BatchProvider,
  FindBatchHint,
  ProviderBatchSnapshot,
  SubmitBatchInput,
} from '../../../shared/ports/BatchProvider.js';
import type { Clock } from '../../../shared/ports/Clock.js';

interface FakeBatch {
  readonly id: string;
  readonly batchId: string;
  readonly createdAtMs: number;
  readonly lines: readonly {
    readonly customId: string;
    readonly params: Record<string, unknown>;
  }[];
  status: 'in_progress' | 'canceling' | 'ended';
  endedAtMs: number | null;
  canceled: boolean;
  deleted: boolean;
}

/** A batch's result files when its errors are split: its output file, its error file. */
type ResultFile = 'results' | 'errors';

/** How long a fake batch runs before it ends, unless cancelled. */
const DEFAULT_PROCESSING_MS = 60_000;

/**
 * {@link BatchProvider} in memory that speaks Anthropic's Message Batches formats (input
 * `{"custom_id","params"}` lines, result lines `{"custom_id","result":{…}}` that
 * `parseResultLine('anthropic', …)` reads), on a {@link Clock}: a batch ends once
 * `processingMs` has passed, a cancelled one at once with every request `canceled`. Requests
 * named in `failRequest` end `errored` with the error type given. Unknown or deleted batches
 * are `NotFoundError`; results past their retention ({@link expireResults}) are `NotFoundError`
 * with code `PROVIDER_RESULTS_GONE`, as the adapters report them; input lines that are not
 * JSON objects with a `custom_id` and `params` refuse the whole batch, as the API does. With
 * {@link splitErrors}, errored results come in a second file, as OpenAI's error file.
 */
class InMemoryBatchProvider implements BatchProvider {
  readonly name = 'anthropic' as const;
  readonly #clock: Clock;
  readonly #processingMs: number;
  readonly #batches = new Map<string, FakeBatch>();
  readonly #errors = new Map<string, string>();
  #sequence = 0;
  #authorized = true;
  /** How long an ended batch's results are kept (Anthropic: 29 days from creation). */
  #resultsRetentionMs: number | null = null;
  /** Which result files {@link #resultsRetentionMs} applies to. */
  #expiring: ResultFile | 'both' = 'both';
  /** Whether errored results come in a file of their own, as OpenAI's error file. */
  #splitErrors = false;

  constructor(clock: Clock, options: { readonly processingMs?: number } = {}) {
    this.#clock = clock;
    this.#processingMs = options.processingMs ?? DEFAULT_PROCESSING_MS;
  }

  async submit(input: SubmitBatchInput): Promise<ProviderBatchSnapshot> {
    this.#checkKey();
    const lines: FakeBatch['lines'][number][] = [];
    let text = '';
    for await (const chunk of await input.openInput()) text += String(chunk);
    for (const raw of text.split('\n')) {
      if (raw.trim() === '') continue;
      const line = JSON.parse(raw) as { custom_id?: unknown; params?: unknown };
      if (
        typeof line.custom_id !== 'string' ||
        typeof line.params !== 'object' ||
        line.params === null
      ) {
        throw new InvalidInputError('requests[]: each needs a custom_id and params', {
          code: 'invalid_request_error',
        });
      }
      lines.push({ customId: line.custom_id, params: line.params as Record<string, unknown> });
    }
    this.#sequence += 1;
    const id = `msgbatch_fake${String(this.#sequence).padStart(6, '0')}`;
    const batch: FakeBatch = {
      id,
      batchId: input.batchId,
      createdAtMs: this.#clock.now().getTime(),
      lines,
      status: 'in_progress',
      endedAtMs: null,
      canceled: false,
      deleted: false,
    };
    this.#batches.set(id, batch);
    return this.#snapshot(batch);
  }

  async retrieve(providerBatchId: string): Promise<ProviderBatchSnapshot> {
    this.#checkKey();
    const batch = this.#batch(providerBatchId);
    this.#advance(batch);
    return this.#snapshot(batch);
  }

  async cancel(providerBatchId: string): Promise<ProviderBatchSnapshot> {
    this.#checkKey();
    const batch = this.#batch(providerBatchId);
    this.#advance(batch);
    if (batch.status === 'in_progress') {
      batch.canceled = true;
      batch.status = 'canceling';
    }
    return this.#snapshot(batch);
  }

  async openResults(ref: string): Promise<Readable> {
    this.#checkKey();
    const match = /^memory:\/\/(results|errors)\/(.+)$/.exec(ref);
    const file: ResultFile = match?.[1] === 'errors' ? 'errors' : 'results';
    const batch = this.#batch(match?.[2] ?? ref);
    this.#advance(batch);
    if (batch.status !== 'ended') {
      throw new NotFoundError(`batch ${batch.id} has no results yet`, { code: 'not_found' });
    }
    const keptUntil =
      this.#resultsRetentionMs === null || (this.#expiring !== 'both' && this.#expiring !== file)
        ? null
        : (batch.endedAtMs ?? 0) + this.#resultsRetentionMs;
    if (keptUntil !== null && this.#clock.now().getTime() >= keptUntil) {
      throw new NotFoundError(`batch ${batch.id} was archived: its results are gone`, {
        code: PROVIDER_RESULTS_GONE,
        details: { provider: 'anthropic', ref },
      });
    }
    const lines = this.#resultLines(batch).flatMap(({ line, errored }) =>
      !this.#splitErrors || errored === (file === 'errors') ? [line] : [],
    );
    return Readable.from(lines);
  }

  #resultLines(batch: FakeBatch): { readonly line: string; readonly errored: boolean }[] {
    return batch.lines.map(({ customId, params }) => {
      const error = this.#errors.get(customId);
      const result = batch.canceled
        ? { type: 'canceled' }
        : error !== undefined
          ? { type: 'errored', error: { type: 'error', error: { type: error, message: error } } }
          : { type: 'succeeded', message: fakeAnthropicMessage(1, customId, params) };
      return {
        line: `${JSON.stringify({ custom_id: customId, result })}\n`,
        errored: result.type !== 'succeeded',
      };
    });
  }

  async deleteArtifacts(providerBatchId: string): Promise<void> {
    this.#checkKey();
    this.#batch(providerBatchId).deleted = true;
  }

  async findByBatchId(
    _batchId: string,
    hint: FindBatchHint,
  ): Promise<ProviderBatchSnapshot | null> {
    this.#checkKey();
    // Anthropic keeps no metadata: the hint is all there is to match on, as the adapter does.
    const after = hint.submittedAfter.getTime();
    const fits = [...this.#batches.values()].filter(
      (b) => !b.deleted && b.createdAtMs >= after && b.lines.length === hint.requestCount,
    );
    const [only] = fits;
    return fits.length === 1 && only !== undefined ? this.#snapshot(only) : null;
  }

  /** The request with this custom id ends `errored` with this Anthropic error type. */
  failRequest(customId: string, errorType: string): void {
    this.#errors.set(customId, errorType);
  }

  /**
   * From now on, results are kept this long after their batch ends, then gone for good (the
   * provider's retention, shortened); 0: gone as soon as the batch ends. `file` limits it to
   * one file of a batch whose errors are split ({@link splitErrors}).
   */
  expireResults(afterMs = 0, file: ResultFile | 'both' = 'both'): void {
    this.#resultsRetentionMs = afterMs;
    this.#expiring = file;
  }

  /**
   * From now on, a batch's results come in two files, as OpenAI's do: an output file of its
   * succeeded requests, and an error file of the rest (listed only when there are any).
   */
  splitErrors(): void {
    this.#splitErrors = true;
  }

  /** Every call is refused as with a revoked key until called with true. */
  authorize(valid: boolean): void {
    this.#authorized = valid;
  }

  #checkKey(): void {
    if (!this.#authorized) {
      throw new AuthError('anthropic: invalid x-api-key', { code: 'authentication_error' });
    }
  }

  #batch(id: string): FakeBatch {
    const batch = this.#batches.get(id);
    if (batch === undefined || batch.deleted) {
      throw new NotFoundError(`no batch ${id}`, { code: 'not_found', details: { id } });
    }
    return batch;
  }

  /** Moves a batch on to where the clock says it is. */
  #advance(batch: FakeBatch): void {
    if (batch.status === 'ended') return;
    const now = this.#clock.now().getTime();
    if (batch.status === 'canceling' || now >= batch.createdAtMs + this.#processingMs) {
      batch.status = 'ended';
      batch.endedAtMs = now;
    }
  }

  #resultRefs(batch: FakeBatch): string[] {
    const refs = [`memory://results/${batch.id}`];
    if (this.#splitErrors && this.#resultLines(batch).some((l) => l.errored)) {
      refs.push(`memory://errors/${batch.id}`);
    }
    return refs;
  }

  #snapshot(batch: FakeBatch): ProviderBatchSnapshot {
    const ended = batch.status === 'ended';
    return {
      providerBatchId: batch.id,
      phase: ended ? 'ended' : 'running',
      providerStatus: batch.status,
      expiresAt: new Date(batch.createdAtMs + 24 * 3_600_000).toISOString(),
      endedAt: batch.endedAtMs === null ? null : new Date(batch.endedAtMs).toISOString(),
      failure: null,
      resultRefs: ended ? this.#resultRefs(batch) : [],
    };
  }
}

export { InMemoryBatchProvider };
