import {
  type BatchSchedule,
  cancelDelayMs,
  itemDisposition,
  itemFinishAt,
  itemOutcome,
  type ResultErrorType,
  storedBatchSchedule,
} from './batchSchedule.js';
import {
  fakeOpenAIBody,
  type LineUsage,
  type ModelServer,
  type OpenAIErrorBody,
  openaiBodyError,
} from './fakeOpenAIBody.js';
import type { SimContext } from './SimContext.js';
import type { FileRecord, OpenAIBatchRecord } from './SimulatorStore.js';
import { hashId, seededPermutation } from './seededRandom.js';

type OpenAIStatus =
  | 'validating'
  | 'failed'
  | 'in_progress'
  | 'finalizing'
  | 'completed'
  | 'expired'
  | 'cancelling'
  | 'cancelled';

interface Timeline {
  status: OpenAIStatus;
  /** When the batch reached a terminal status (epoch ms), or null while it is still live. */
  terminalAt: number | null;
  at: Partial<
    Record<
      | 'in_progress_at'
      | 'finalizing_at'
      | 'completed_at'
      | 'failed_at'
      | 'expired_at'
      | 'cancelling_at'
      | 'cancelled_at',
      number
    >
  >;
}

/** Who answers a batch's lines: the dialect it was created on (its own models, if it has any). */
const modelServerOf = (ctx: SimContext, dialect: string | undefined): ModelServer =>
  dialect === undefined ? 'openai' : (ctx.profiles.get(dialect) ?? dialect);

/**
 * The phases of a batch's processing period P: validating for the first 10 %, requests
 * finish during the next 80 %, finalizing for the last 10 %.
 */
const phases = (record: OpenAIBatchRecord) => ({
  validatedAt: record.createdAt + record.processingMs * 0.1,
  workEnd: record.createdAt + record.processingMs * 0.9,
  naturalEnd: record.createdAt + record.processingMs,
  cancelDoneAt:
    record.cancelAt === null ? Infinity : record.cancelAt + cancelDelayMs(record.processingMs),
});

const scheduleOf = (ctx: SimContext, record: OpenAIBatchRecord): BatchSchedule => {
  // Requests finish between validation and the end of the work phase.
  const p = phases(record);
  return {
    ...storedBatchSchedule(ctx.seed, record, 0),
    workStart: p.validatedAt,
    workEnd: p.workEnd,
  };
};

/** Status and status timestamps at simulated time `now`. */
const openaiTimeline = (record: OpenAIBatchRecord, now: number): Timeline => {
  const p = phases(record);
  const at: Timeline['at'] = {};
  const failed = record.validationErrors.length > 0;
  const cancelWins = record.cancelAt !== null && record.faults.cancelRace !== true;
  if (record.cancelAt !== null) at.cancelling_at = record.cancelAt;
  if (cancelWins && record.cancelAt !== null) {
    if (!failed && record.cancelAt >= p.validatedAt) at.in_progress_at = p.validatedAt;
    if (now < p.cancelDoneAt) return { status: 'cancelling', terminalAt: null, at };
    at.cancelled_at = p.cancelDoneAt;
    return { status: 'cancelled', terminalAt: p.cancelDoneAt, at };
  }
  const live = (status: OpenAIStatus): Timeline => ({
    status: record.cancelAt !== null && status !== 'validating' ? 'cancelling' : status,
    terminalAt: null,
    at,
  });
  if (now < p.validatedAt) return live('validating');
  if (failed) {
    at.failed_at = p.validatedAt;
    return { status: 'failed', terminalAt: p.validatedAt, at };
  }
  at.in_progress_at = p.validatedAt;
  if (record.expiresAt < p.naturalEnd && now >= record.expiresAt) {
    if (record.expiresAt >= p.workEnd) at.finalizing_at = p.workEnd;
    at.expired_at = record.expiresAt;
    return { status: 'expired', terminalAt: record.expiresAt, at };
  }
  if (now < p.workEnd) return live('in_progress');
  at.finalizing_at = p.workEnd;
  if (now < p.naturalEnd) return live('finalizing');
  at.completed_at = p.naturalEnd;
  return { status: 'completed', terminalAt: p.naturalEnd, at };
};

interface OpenAILine {
  readonly file: 'output' | 'error' | null;
  readonly line: () => string;
  readonly usage: () => LineUsage | null;
}

/** What each simulated item error looks like on the OpenAI wire. */
const HTTP_ERRORS: Record<
  Exclude<ResultErrorType, 'timeout_error'>,
  { status: number; error: OpenAIErrorBody }
> = {
  not_found_error: {
    status: 404,
    error: {
      message: 'The requested resource was not found (simulated).',
      type: 'invalid_request_error',
      param: null,
      code: 'not_found',
    },
  },
  invalid_request_error: {
    status: 400,
    error: {
      message: 'Invalid request (simulated).',
      type: 'invalid_request_error',
      param: null,
      code: null,
    },
  },
  api_error: {
    status: 500,
    error: {
      message: 'The server had an error while processing your request. Sorry about that!',
      type: 'server_error',
      param: null,
      code: null,
    },
  },
  overloaded_error: {
    status: 503,
    error: {
      message: 'The engine is currently overloaded, please try again later.',
      type: 'server_error',
      param: null,
      code: null,
    },
  },
  rate_limit_error: {
    status: 429,
    error: {
      message: 'Rate limit reached for requests (simulated).',
      type: 'requests',
      param: null,
      code: 'rate_limit_exceeded',
    },
  },
};

const openaiLine = (
  ctx: SimContext,
  record: OpenAIBatchRecord,
  index: number,
  now: number,
): OpenAILine => {
  const request = record.requests[index]!;
  const customId = request.custom_id;
  const id = `batch_req_${hashId(24, ctx.seed, 'batch_req', record.id, customId)}`;
  const requestId = `req_${hashId(32, ctx.seed, 'req', record.id, customId)}`;
  const schedule = scheduleOf(ctx, record);
  const disposition = itemDisposition(schedule, customId, now);
  const failure = (code: string, message: string): OpenAILine => ({
    file: 'error',
    line: () =>
      JSON.stringify({ id, custom_id: customId, response: null, error: { code, message } }),
    usage: () => null,
  });
  if (disposition === 'pending') return { file: null, line: () => '', usage: () => null };
  if (disposition === 'expired') {
    return failure(
      'batch_expired',
      'This request could not be executed before the completion window expired.',
    );
  }
  if (disposition === 'canceled') {
    return failure('batch_cancelled', 'This request was cancelled before it could be executed.');
  }
  const withResponse = (status: number, body: unknown): string =>
    JSON.stringify({
      id,
      custom_id: customId,
      response: { status_code: status, request_id: requestId, body },
      error: null,
    });
  const outcome = itemOutcome(ctx.seed, record.id, customId, record.faults.itemErrorRates, null);
  if (outcome.kind === 'error') {
    if (outcome.type === 'timeout_error') return failure('request_timeout', outcome.message);
    const http = HTTP_ERRORS[outcome.type];
    return {
      file: 'error',
      line: () => withResponse(http.status, { error: http.error }),
      usage: () => null,
    };
  }
  const created = Math.floor(itemFinishAt(schedule, customId) / 1000);
  const problem = openaiBodyError(
    record.endpoint.replace(/^\/(?!v1\/)/, '/v1/'),
    request.body,
    modelServerOf(ctx, record.dialect),
  );
  if (problem !== null) {
    return {
      file: 'error',
      line: () => withResponse(problem.status, problem.body),
      usage: () => null,
    };
  }
  // Generated at most once per line: the summary needs both the text and the usage.
  let generated: ReturnType<typeof fakeOpenAIBody> | undefined;
  const generate = () => {
    generated ??= fakeOpenAIBody(
      ctx.seed,
      record.endpoint.replace(/^\/(?!v1\/)/, '/v1/'),
      customId,
      request.body,
      created,
      modelServerOf(ctx, record.dialect),
    );
    return generated;
  };
  return {
    file: 'output',
    line: () => withResponse(200, generate().body),
    usage: () => generate().usage,
  };
};

/** Item lines in delivery order (seeded shuffle unless the batch asked for input order). */
function* openaiLines(
  ctx: SimContext,
  record: OpenAIBatchRecord,
  now: number,
): Generator<OpenAILine> {
  const n = record.requests.length;
  const order =
    record.faults.shuffleResults === false
      ? Array.from({ length: n }, (_, i) => i)
      : seededPermutation(n, ctx.seed, 'order', record.id);
  for (const index of order) yield openaiLine(ctx, record, index, now);
}

interface BatchSummary {
  outputBytes: number;
  errorBytes: number;
  completed: number;
  failed: number;
  usage: { input: number; cached: number; output: number; reasoning: number };
}

/** Summaries of terminal batches never change, so they are computed once. */
const summaries = new WeakMap<OpenAIBatchRecord, BatchSummary>();

/** Counts and (at the end) file sizes and usage; one pass that generates every line. */
const summarize = (
  ctx: SimContext,
  record: OpenAIBatchRecord,
  now: number,
  withBodies: boolean,
): BatchSummary => {
  const summary: BatchSummary = {
    outputBytes: 0,
    errorBytes: 0,
    completed: 0,
    failed: 0,
    usage: { input: 0, cached: 0, output: 0, reasoning: 0 },
  };
  for (const line of openaiLines(ctx, record, now)) {
    if (line.file === null) continue;
    if (line.file === 'output') summary.completed += 1;
    else summary.failed += 1;
    if (!withBodies) continue;
    const bytes = Buffer.byteLength(line.line()) + 1;
    if (line.file === 'output') summary.outputBytes += bytes;
    else summary.errorBytes += bytes;
    const usage = line.usage();
    if (usage !== null) {
      summary.usage.input += usage.input;
      summary.usage.cached += usage.cached;
      summary.usage.output += usage.output;
      summary.usage.reasoning += usage.reasoning;
    }
  }
  return summary;
};

const terminalSummary = (ctx: SimContext, record: OpenAIBatchRecord, at: number): BatchSummary => {
  const cached = summaries.get(record);
  if (cached !== undefined) return cached;
  const summary = summarize(ctx, record, at, true);
  summaries.set(record, summary);
  return summary;
};

/**
 * Creates the output and error files of a batch that has just become terminal. A file that
 * would be empty is not created and its id stays null.
 */
/** How long OpenAI keeps a batch's output and error files after the batch ends. */
const OUTPUT_RETENTION_MS = 30 * 24 * 3600 * 1000;

const finalizeOpenAIBatch = (ctx: SimContext, record: OpenAIBatchRecord, now: number): void => {
  if (record.finalized) return;
  const timeline = openaiTimeline(record, now);
  if (timeline.terminalAt === null) return;
  if (timeline.status !== 'failed') {
    const summary = terminalSummary(ctx, record, timeline.terminalAt);
    const makeFile = (which: 'output' | 'error', bytes: number): string => {
      const seq = ctx.store.nextSeq();
      const file: FileRecord = {
        id: ctx.newId('file-', 22, seq),
        seq,
        createdAt: timeline.terminalAt ?? now,
        filename: `${record.id}_${which}.jsonl`,
        purpose: 'batch_output',
        bytes,
        // Deleted 30 days after the end (or the batch's `resultsRetentionMs`).
        expiresAt:
          (timeline.terminalAt ?? now) + (record.faults.resultsRetentionMs ?? OUTPUT_RETENTION_MS),
        deleted: false,
        source: { kind: 'batch', batchId: record.id, which },
        ...(record.dialect === undefined ? {} : { dialect: record.dialect }),
        downloads: 0,
      };
      ctx.store.saveFile(file);
      return file.id;
    };
    if (summary.completed > 0) record.outputFileId = makeFile('output', summary.outputBytes);
    if (summary.failed > 0) record.errorFileId = makeFile('error', summary.errorBytes);
  }
  record.finalized = true;
  ctx.store.saveOpenAI(record);
};

const seconds = (ms: number | undefined): number | null =>
  ms === undefined ? null : Math.floor(ms / 1000);

/** The `Batch` object at simulated time `now`. */
const openaiBatchView = (
  ctx: SimContext,
  record: OpenAIBatchRecord,
  now: number,
): Record<string, unknown> => {
  finalizeOpenAIBatch(ctx, record, now);
  const timeline = openaiTimeline(record, now);
  const validated = timeline.status !== 'validating' && timeline.status !== 'failed';
  const total = validated ? record.requests.length : 0;
  let counts = { total, completed: 0, failed: 0 };
  let usage = { input: 0, cached: 0, output: 0, reasoning: 0 };
  if (timeline.terminalAt !== null && timeline.status !== 'failed') {
    const summary = terminalSummary(ctx, record, timeline.terminalAt);
    counts = { total, completed: summary.completed, failed: summary.failed };
    usage = summary.usage;
  } else if (validated) {
    const summary = summarize(ctx, record, now, false);
    counts = { total, completed: summary.completed, failed: summary.failed };
  }
  return {
    id: record.id,
    object: 'batch',
    endpoint: record.endpoint,
    model: record.model,
    errors: timeline.status === 'failed' ? { object: 'list', data: record.validationErrors } : null,
    input_file_id: record.inputFileId,
    completion_window: record.completionWindow,
    status: timeline.status,
    output_file_id: record.outputFileId,
    error_file_id: record.errorFileId,
    created_at: seconds(record.createdAt),
    in_progress_at: seconds(timeline.at.in_progress_at),
    expires_at: seconds(record.expiresAt),
    finalizing_at: seconds(timeline.at.finalizing_at),
    completed_at: seconds(timeline.at.completed_at),
    failed_at: seconds(timeline.at.failed_at),
    expired_at: seconds(timeline.at.expired_at),
    cancelling_at: seconds(timeline.at.cancelling_at),
    cancelled_at: seconds(timeline.at.cancelled_at),
    request_counts: counts,
    usage: {
      input_tokens: usage.input,
      input_tokens_details: { cached_tokens: usage.cached },
      output_tokens: usage.output,
      output_tokens_details: { reasoning_tokens: usage.reasoning },
      total_tokens: usage.input + usage.output,
    },
    metadata: record.metadata,
  };
};

/** The lines of one of a terminal batch's output files, in delivery order. */
function* openaiFileLines(
  ctx: SimContext,
  record: OpenAIBatchRecord,
  which: 'output' | 'error',
): Generator<string> {
  const terminalAt = openaiTimeline(record, Infinity).terminalAt ?? 0;
  for (const line of openaiLines(ctx, record, terminalAt)) {
    if (line.file === which) yield line.line();
  }
}

export { finalizeOpenAIBatch, type OpenAIStatus, openaiBatchView, openaiFileLines, openaiTimeline };
