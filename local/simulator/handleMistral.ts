import type { IncomingMessage, ServerResponse } from 'node:http';
import { isKnownModel } from '../../shared/domain/pricing/modelLimits.js';
import {
  type BatchPhase,
  type BatchSchedule,
  itemDisposition,
  itemFinishAt,
  itemOutcome,
  type ResultErrorType,
  storedBatchPhase,
  storedBatchSchedule,
} from './batchSchedule.js';
import { estimateTokens, fakeText, outputTokensFor } from './estimateTokens.js';
import { isRecord, readBody, SimHttpError, sendHttpError, sendJson, sleep } from './httpIo.js';
import { multipartBoundary, parseMultipart } from './parseMultipart.js';
import type { SimContext, SimRoute } from './SimContext.js';
import { type BatchFaults, parseFaultsHeader, readFaultsOr } from './SimulatorFaults.js';
import type { BatchTimes } from './SimulatorStore.js';
import { createRng, hashId } from './seededRandom.js';
import { streamResultLines } from './streamResultLines.js';

/**
 * Mistral's own REST API (`api.mistral.ai`): Files, batch jobs, and the synchronous chat,
 * embeddings and FIM endpoints. Served under {@link MISTRAL_PREFIX} on the simulator's one
 * port, because its paths (`/v1/files`, `/v1/chat/completions`) are OpenAI's too; the SDK's
 * `serverURL` keeps a base path, so `@mistralai/mistralai` cannot tell.
 */
const MISTRAL_PREFIX = '/mistral';

const ENDPOINTS: readonly string[] = [
  '/v1/chat/completions',
  '/v1/embeddings',
  '/v1/fim/completions',
  '/v1/moderations',
  '/v1/chat/moderations',
  '/v1/ocr',
  '/v1/classifications',
  '/v1/chat/classifications',
  '/v1/conversations',
  '/v1/audio/transcriptions',
];
/** What the simulator can run: the others are accepted by the enum, and fail their lines. */
const SERVED_ENDPOINTS: readonly string[] = ENDPOINTS.slice(0, 3);
const STATUSES: readonly string[] = [
  'QUEUED',
  'RUNNING',
  'SUCCESS',
  'FAILED',
  'TIMEOUT_EXCEEDED',
  'CANCELLATION_REQUESTED',
  'CANCELLED',
];
const MAX_UPLOAD_BYTES = 512 * 1000 * 1000;
const MAX_JSON_BYTES = 64 * 1000 * 1000;
const EMBEDDING_DIMS = 1024;

interface MistralFile {
  readonly id: string;
  readonly createdAt: number;
  readonly filename: string;
  readonly purpose: string;
  readonly sampleType: string;
  readonly content: Buffer;
  readonly numLines: number;
  deleted: boolean;
}

interface MistralLine {
  readonly customId: string;
  readonly body: Record<string, unknown> | null;
}

/** A job's timeline is derived as every stored batch's is (see BatchTimes). */
interface MistralJob extends BatchTimes {
  readonly endpoint: string;
  readonly model: string;
  readonly metadata: Record<string, string> | null;
  readonly inputFiles: readonly string[];
  readonly inline: boolean;
  readonly lines: readonly MistralLine[];
  /** Why the whole job failed (an input file that is not JSONL), or null. */
  readonly failure: string | null;
  readonly faults: BatchFaults;
  deleted: boolean;
  downloads: number;
}

interface MistralState {
  readonly files: Map<string, MistralFile>;
  readonly jobs: Map<string, MistralJob>;
}

const states = new WeakMap<SimContext, MistralState>();

const stateOf = (ctx: SimContext): MistralState => {
  let state = states.get(ctx);
  if (state === undefined) {
    state = { files: new Map(), jobs: new Map() };
    states.set(ctx, state);
  }
  return state;
};

/** Mistral's error envelope is carried by `type` `mistral_error`, or a 422 `detail` list. */
const fail = (status: number, type: string, message: string, code: string | null = null) =>
  new SimHttpError(status, type, message, { code });

const invalid = (message: string): SimHttpError =>
  fail(400, 'invalid_request_error', message, '3000');

/** A 422 as FastAPI writes it: `{"detail":[{"type","loc","msg","input"}]}`. */
const unprocessable = (loc: (string | number)[], msg: string): SimHttpError =>
  new SimHttpError(422, 'validation_error', msg, { param: JSON.stringify(loc) });

const seconds = (ms: number): number => Math.floor(ms / 1000);

const uuidOf = (ctx: SimContext, kind: string, seq: number): string => {
  const hex = hashId(32, ctx.seed, 'mistral', kind, seq)
    .split('')
    .map((char) => (char.charCodeAt(0) % 16).toString(16))
    .join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
};

const isMistralPath = (pathname: string): boolean =>
  pathname === MISTRAL_PREFIX || pathname.startsWith(`${MISTRAL_PREFIX}/`);

/** Whether a model is one Mistral serves: those batchlane's model table knows. */
const isKnownMistralModel = (model: string): boolean => isKnownModel('mistral', model);

const readJson = async (req: IncomingMessage): Promise<Record<string, unknown>> => {
  const { body } = await readBody(req, MAX_JSON_BYTES);
  if (body === null) throw fail(413, 'invalid_request_error', 'Request body too large.');
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw unprocessable(['body'], 'JSON decode error');
  }
  if (!isRecord(value)) throw unprocessable(['body'], 'Input should be a valid dictionary');
  return value;
};

/* ------------------------------------------------------------- bodies */

interface BodyOutcome {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

const errorBody = (
  message: string,
  type: string,
  code: string | null,
): Record<string, unknown> => ({
  object: 'error',
  message,
  type,
  param: null,
  code,
});

/** What Mistral answers for a body it refuses, or null when it would serve it. */
const bodyProblem = (endpoint: string, body: Record<string, unknown>): BodyOutcome | null => {
  if (!SERVED_ENDPOINTS.includes(endpoint)) {
    return {
      status: 400,
      body: errorBody(`Endpoint ${endpoint} is not served here`, 'invalid_request_error', '3000'),
    };
  }
  const model = body.model;
  if (typeof model !== 'string' || model === '') {
    return {
      status: 422,
      body: { detail: [{ type: 'missing', loc: ['body', 'model'], msg: 'Field required' }] },
    };
  }
  if (!isKnownMistralModel(model)) {
    return { status: 400, body: errorBody(`Invalid model: ${model}`, 'invalid_model', '1500') };
  }
  if (endpoint === '/v1/chat/completions') {
    if (!Array.isArray(body.messages) || body.messages.length === 0) {
      return {
        status: 422,
        body: { detail: [{ type: 'missing', loc: ['body', 'messages'], msg: 'Field required' }] },
      };
    }
  } else if (endpoint === '/v1/embeddings') {
    const input = body.input ?? body.inputs;
    if (input === undefined || input === '' || (Array.isArray(input) && input.length === 0)) {
      return {
        status: 422,
        body: { detail: [{ type: 'missing', loc: ['body', 'input'], msg: 'Field required' }] },
      };
    }
  } else if (typeof body.prompt !== 'string') {
    return {
      status: 422,
      body: { detail: [{ type: 'missing', loc: ['body', 'prompt'], msg: 'Field required' }] },
    };
  }
  return null;
};

/** A 200 body for the endpoint, deterministic in the seed, the id and the body. */
const fakeBody = (
  seed: number,
  endpoint: string,
  key: string,
  body: Record<string, unknown>,
  created: number,
): Record<string, unknown> => {
  const model = String(body.model);
  const rng = createRng(seed, 'mistral-body', key, JSON.stringify(body));
  const id = hashId(32, seed, 'mistral-id', key).toLowerCase();
  if (endpoint === '/v1/embeddings') {
    const raw = body.input ?? body.inputs;
    const inputs = Array.isArray(raw) ? raw : [raw];
    let prompt = 0;
    const data = inputs.map((input, index) => {
      prompt += Math.max(1, estimateTokens(input));
      const vector = Array.from({ length: EMBEDDING_DIMS }, () => rng() * 2 - 1);
      const norm = Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0)) || 1;
      return {
        object: 'embedding',
        embedding: vector.map((value) => Math.round((value / norm) * 1e7) / 1e7),
        index,
      };
    });
    return {
      id,
      object: 'list',
      data,
      model,
      usage: { prompt_tokens: prompt, completion_tokens: 0, total_tokens: prompt },
    };
  }
  const prompt =
    endpoint === '/v1/fim/completions'
      ? estimateTokens([body.prompt, body.suffix]) + 2
      : estimateTokens(body.messages) + 3 * (body.messages as unknown[]).length;
  const limit = typeof body.max_tokens === 'number' ? body.max_tokens : null;
  const wanted = outputTokensFor(rng, prompt);
  const completion = limit === null ? wanted : Math.min(wanted, limit);
  return {
    id,
    object: 'chat.completion',
    model,
    created,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: fakeText(rng, completion), tool_calls: null },
        finish_reason: limit !== null && wanted > limit ? 'length' : 'stop',
      },
    ],
    usage: {
      prompt_tokens: prompt,
      completion_tokens: completion,
      total_tokens: prompt + completion,
    },
  };
};

/** Injected per-line failures, as the HTTP answer the line would have had. */
const ITEM_ERRORS: Record<ResultErrorType, { status: number; type: string; message: string }> = {
  invalid_request_error: {
    status: 400,
    type: 'invalid_request_error',
    message: 'Invalid request (simulated).',
  },
  not_found_error: { status: 404, type: 'not_found', message: 'Not found (simulated).' },
  api_error: { status: 500, type: 'internal_server_error', message: 'Internal server error' },
  overloaded_error: { status: 503, type: 'service_unavailable', message: 'Service unavailable' },
  rate_limit_error: { status: 429, type: 'rate_limited', message: 'Requests rate limit exceeded' },
  timeout_error: { status: 504, type: 'gateway_timeout', message: 'Gateway timeout' },
};

/* -------------------------------------------------------------- jobs */

/** A job is queued for a moment before it runs. */
const scheduleOf = (ctx: SimContext, job: MistralJob): BatchSchedule =>
  storedBatchSchedule(ctx.seed, job, 0.05);

const keyOf = (line: MistralLine, index: number): string =>
  line.customId === '' ? `#${index}` : line.customId;

/** Mistral's name of each phase. */
const MISTRAL_STATUSES: Readonly<Record<BatchPhase, string>> = {
  pending: 'QUEUED',
  running: 'RUNNING',
  failed: 'FAILED',
  cancelling: 'CANCELLATION_REQUESTED',
  cancelled: 'CANCELLED',
  succeeded: 'SUCCESS',
  expired: 'TIMEOUT_EXCEEDED',
};

/** The job's status at `now`, and when it ended. */
const statusOf = (
  ctx: SimContext,
  job: MistralJob,
  now: number,
): { status: string; endedAt: number | null } => {
  const schedule = scheduleOf(ctx, job);
  const keys = job.lines.map((line, index) => keyOf(line, index));
  const { phase, endedAt } = storedBatchPhase(schedule, job, keys, now);
  // A cancel that comes too late to stop anything still shows as requested while it runs.
  const lateCancel =
    job.failure === null && job.cancelAt !== null && now >= job.cancelAt && !schedule.cancelRace;
  if ((phase === 'pending' || phase === 'running') && lateCancel) {
    return { status: 'CANCELLATION_REQUESTED', endedAt: null };
  }
  return { status: MISTRAL_STATUSES[phase], endedAt };
};

/** Each finished line's result, in the output file's shape; `ok` tells the two files apart. */
function* resultLines(
  ctx: SimContext,
  job: MistralJob,
  now: number,
): Generator<{ ok: boolean; line: Record<string, unknown> }> {
  const schedule = scheduleOf(ctx, job);
  for (const [index, item] of job.lines.entries()) {
    const key = keyOf(item, index);
    if (itemDisposition(schedule, key, now) !== 'done') continue;
    const head = {
      id: `batch-${hashId(12, ctx.seed, 'mistral-line', job.id, key).toLowerCase()}`,
      custom_id: item.customId === '' ? null : item.customId,
    };
    const body = item.body === null ? null : { model: job.model, ...item.body };
    const problem =
      body === null
        ? { status: 400, body: errorBody('Invalid JSON line', 'invalid_request_error', '3000') }
        : bodyProblem(job.endpoint, body);
    const outcome = itemOutcome(ctx.seed, job.id, key, job.faults.itemErrorRates, null);
    if (problem !== null) {
      yield {
        ok: false,
        line: {
          ...head,
          response: { status_code: problem.status, body: problem.body },
          error: null,
        },
      };
    } else if (outcome.kind === 'error') {
      const error = ITEM_ERRORS[outcome.type];
      yield {
        ok: false,
        line: {
          ...head,
          response: {
            status_code: error.status,
            body: errorBody(error.message, error.type, String(error.status)),
          },
          error: null,
        },
      };
    } else {
      const created = seconds(itemFinishAt(schedule, key));
      yield {
        ok: true,
        line: {
          ...head,
          response: {
            status_code: 200,
            body: fakeBody(ctx.seed, job.endpoint, key, body as Record<string, unknown>, created),
          },
          error: null,
        },
      };
    }
  }
}

const outputFileId = (job: MistralJob): string => `${job.id.slice(0, 24)}out00000000`;
const errorFileId = (job: MistralJob): string => `${job.id.slice(0, 24)}err00000000`;

const jobView = (ctx: SimContext, job: MistralJob, now: number): Record<string, unknown> => {
  const { status, endedAt } = statusOf(ctx, job, now);
  const ended = endedAt !== null;
  let succeeded = 0;
  let failed = 0;
  const outputs: Record<string, unknown>[] = [];
  for (const { ok, line } of resultLines(ctx, job, now)) {
    if (ok) succeeded += 1;
    else failed += 1;
    if (job.inline && ended) outputs.push(line);
  }
  const startedAt = scheduleOf(ctx, job).workStart;
  return {
    id: job.id,
    object: 'batch',
    input_files: job.inputFiles,
    metadata: job.metadata,
    endpoint: job.endpoint,
    model: job.model,
    agent_id: null,
    // Inline jobs answer in `outputs`; file jobs in files, once the job has ended.
    output_file: ended && !job.inline && succeeded > 0 ? outputFileId(job) : null,
    error_file: ended && !job.inline && failed > 0 ? errorFileId(job) : null,
    errors: job.failure === null ? [] : [{ message: job.failure, count: 1 }],
    ...(job.inline && ended ? { outputs } : {}),
    status,
    created_at: seconds(job.createdAt),
    total_requests: job.lines.length,
    completed_requests: succeeded + failed,
    succeeded_requests: succeeded,
    failed_requests: failed,
    started_at: now >= startedAt ? seconds(startedAt) : null,
    completed_at: endedAt === null ? null : seconds(endedAt),
  };
};

/** JSONL lines of an input file, each `{"custom_id","body"}`; null when it is not JSONL. */
const linesOf = (content: Buffer): MistralLine[] | null => {
  const lines: MistralLine[] = [];
  for (const text of content.toString('utf8').split('\n')) {
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return null;
    }
    if (!isRecord(value)) return null;
    lines.push({
      customId: typeof value.custom_id === 'string' ? value.custom_id : '',
      body: isRecord(value.body) ? value.body : null,
    });
  }
  return lines;
};

const createJob = async (
  ctx: SimContext,
  req: IncomingMessage,
  res: ServerResponse,
  headers: Record<string, string>,
  now: number,
): Promise<void> => {
  const faults = ctx.batchFaults(
    readFaultsOr(() => parseFaultsHeader(req.headers['x-sim-faults']), invalid),
  );
  const body = await readJson(req);
  const endpoint = body.endpoint;
  if (typeof endpoint !== 'string' || !ENDPOINTS.includes(endpoint)) {
    throw unprocessable(
      ['body', 'endpoint'],
      `Input should be ${ENDPOINTS.map((e) => `'${e}'`).join(', ')}`,
    );
  }
  const model = body.model;
  if (typeof model !== 'string' || model === '') {
    throw invalid('A model or an agent_id is required to create a batch job.');
  }
  if (!isKnownMistralModel(model)) {
    throw fail(400, 'invalid_model', `Invalid model: ${model}`, '1500');
  }
  const inputFiles = Array.isArray(body.input_files) ? body.input_files.map(String) : [];
  const requests = Array.isArray(body.requests) ? body.requests : null;
  if (inputFiles.length > 0 === (requests !== null && requests.length > 0)) {
    throw invalid('Exactly one of input_files and requests must be given.');
  }
  const metadata = body.metadata;
  if (metadata !== undefined && metadata !== null && !isRecord(metadata)) {
    throw unprocessable(['body', 'metadata'], 'Input should be a valid dictionary');
  }
  const timeoutHours = body.timeout_hours ?? 24;
  if (typeof timeoutHours !== 'number' || !Number.isInteger(timeoutHours) || timeoutHours < 1) {
    throw unprocessable(['body', 'timeout_hours'], 'Input should be a valid integer');
  }
  const state = stateOf(ctx);
  let lines: MistralLine[] = [];
  let failure: string | null = null;
  if (requests !== null) {
    for (const [index, item] of requests.entries()) {
      if (!isRecord(item) || !isRecord(item.body)) {
        throw unprocessable(['body', 'requests', index, 'body'], 'Field required');
      }
      lines.push({
        customId: typeof item.custom_id === 'string' ? item.custom_id : '',
        body: item.body,
      });
    }
  } else {
    for (const id of inputFiles) {
      const file = state.files.get(id);
      if (file === undefined || file.deleted) throw fail(404, 'not_found', `File ${id} not found`);
      const read = linesOf(file.content);
      if (read === null) failure = `Input file ${id} is not valid JSONL`;
      else lines = lines.concat(read);
    }
  }
  const seq = ctx.store.nextSeq();
  const processingMs = faults.processingMs ?? ctx.processingMs;
  const job: MistralJob = {
    id: uuidOf(ctx, 'job', seq),
    seq,
    createdAt: now,
    processingMs,
    expiresAt:
      faults.expireAtFraction === undefined
        ? now + timeoutHours * 3600 * 1000
        : now + processingMs * faults.expireAtFraction,
    cancelAt: null,
    endpoint,
    model,
    metadata: isRecord(metadata)
      ? Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, String(v)]))
      : null,
    inputFiles,
    inline: requests !== null,
    lines,
    failure,
    faults,
    deleted: false,
    downloads: 0,
  };
  state.jobs.set(job.id, job);
  sendJson(res, 200, jobView(ctx, job, now), headers);
};

/**
 * `GET /v1/batch/jobs`: the SDK sends its filters form-style, exploded: `status` repeated,
 * and the `metadata` object as bare `key=value` pairs. Every query name that is not a known
 * parameter is therefore a metadata filter (the `metadata[key]=` spelling is accepted too).
 */
const listJobs = (ctx: SimContext, url: URL, now: number): Record<string, unknown> => {
  const params = url.searchParams;
  const known = new Set([
    'page',
    'page_size',
    'model',
    'agent_id',
    'created_after',
    'created_by_me',
    'status',
    'order_by',
    'metadata',
  ]);
  const metadata: [string, string][] = [];
  for (const [name, value] of params) {
    const bracket = /^metadata\[(.+)\]$/.exec(name);
    if (bracket?.[1] !== undefined) metadata.push([bracket[1], value]);
    else if (!known.has(name)) metadata.push([name, value]);
  }
  const statuses = params.getAll('status');
  for (const status of statuses) {
    if (!STATUSES.includes(status)) {
      throw unprocessable(['query', 'status', 0], `Input should be ${STATUSES.join(', ')}`);
    }
  }
  const createdAfter = params.get('created_after');
  const after = createdAfter === null ? null : Date.parse(createdAfter);
  const model = params.get('model');
  const page = Number(params.get('page') ?? 0);
  const pageSize = Number(params.get('page_size') ?? 100);
  const ascending = params.get('order_by') === 'created';
  const jobs = [...stateOf(ctx).jobs.values()]
    .filter((job) => !job.deleted)
    .filter((job) => model === null || job.model === model)
    .filter((job) => after === null || Number.isNaN(after) || job.createdAt >= after)
    .filter((job) => metadata.every(([key, value]) => job.metadata?.[key] === value))
    .filter((job) => statuses.length === 0 || statuses.includes(statusOf(ctx, job, now).status))
    .sort((a, b) => (ascending ? a.seq - b.seq : b.seq - a.seq));
  const data = jobs
    .slice(page * pageSize, (page + 1) * pageSize)
    .map((job) => jobView(ctx, job, now));
  return { object: 'list', data, total: jobs.length };
};

const liveJob = (ctx: SimContext, id: string): MistralJob => {
  const job = stateOf(ctx).jobs.get(id);
  if (job === undefined || job.deleted) throw fail(404, 'not_found', `Batch job ${id} not found`);
  return job;
};

/* ------------------------------------------------------------- files */

const fileView = (file: MistralFile): Record<string, unknown> => ({
  id: file.id,
  object: 'file',
  bytes: file.content.length,
  created_at: seconds(file.createdAt),
  filename: file.filename,
  purpose: file.purpose,
  sample_type: file.sampleType,
  num_lines: file.numLines,
  mimetype: 'application/jsonl',
  source: file.sampleType === 'batch_request' ? 'upload' : 'mistral',
  signature: null,
  expires_at: null,
  visibility: 'workspace',
  deleted: false,
});

const uploadFile = async (
  ctx: SimContext,
  req: IncomingMessage,
  now: number,
): Promise<Record<string, unknown>> => {
  const boundary = multipartBoundary(req.headers['content-type']);
  const { body } = await readBody(req, MAX_UPLOAD_BYTES + 64 * 1024);
  if (body === null) throw fail(413, 'invalid_request_error', 'File is larger than 512 MB.');
  if (boundary === null)
    throw unprocessable(['body', 'file'], 'Expected a multipart/form-data body');
  let parts: ReturnType<typeof parseMultipart>;
  try {
    parts = parseMultipart(body, boundary);
  } catch (error) {
    throw invalid(`Malformed multipart body: ${(error as Error).message}`);
  }
  const filePart = parts.find((part) => part.name === 'file');
  if (filePart === undefined) throw unprocessable(['body', 'file'], 'Field required');
  const purpose =
    parts.find((part) => part.name === 'purpose')?.data.toString('utf8') ?? 'fine-tune';
  if (!['fine-tune', 'batch', 'ocr'].includes(purpose)) {
    throw unprocessable(['body', 'purpose'], "Input should be 'fine-tune', 'batch' or 'ocr'");
  }
  const seq = ctx.store.nextSeq();
  const file: MistralFile = {
    id: uuidOf(ctx, 'file', seq),
    createdAt: now,
    filename: filePart.filename ?? 'file.jsonl',
    purpose,
    sampleType: purpose === 'batch' ? 'batch_request' : 'instruct',
    content: filePart.data,
    numLines: filePart.data
      .toString('utf8')
      .split('\n')
      .filter((line) => line.trim() !== '').length,
    deleted: false,
  };
  stateOf(ctx).files.set(file.id, file);
  return fileView(file);
};

/** An uploaded file, or a job's output or error file (made when first asked for). */
const findFile = (
  ctx: SimContext,
  id: string,
  now: number,
): { file: MistralFile } | { job: MistralJob; ok: boolean } => {
  const state = stateOf(ctx);
  const file = state.files.get(id);
  if (file !== undefined && !file.deleted) return { file };
  for (const job of state.jobs.values()) {
    if (job.deleted || resultsGone(ctx, job, now)) continue;
    const view = jobView(ctx, job, now);
    if (view.output_file === id) return { job, ok: true };
    if (view.error_file === id) return { job, ok: false };
  }
  throw fail(404, 'not_found', `File ${id} not found`);
};

/**
 * Whether a job's output and error files are deleted: only by its `resultsRetentionMs`, that
 * long after it ended (how long Mistral keeps them is not documented).
 */
const resultsGone = (ctx: SimContext, job: MistralJob, now: number): boolean => {
  const retention = job.faults.resultsRetentionMs;
  if (retention === undefined) return false;
  const { endedAt } = statusOf(ctx, job, now);
  return endedAt !== null && now >= endedAt + retention;
};

/** A job's output or error file, as the Files API describes it. */
const resultFileView = (
  ctx: SimContext,
  job: MistralJob,
  ok: boolean,
  id: string,
  now: number,
): Record<string, unknown> => {
  const lines = [...resultLines(ctx, job, now)].filter((line) => line.ok === ok);
  return {
    id,
    object: 'file',
    bytes: lines.reduce((sum, { line }) => sum + Buffer.byteLength(JSON.stringify(line)) + 1, 0),
    created_at: seconds(statusOf(ctx, job, now).endedAt ?? now),
    filename: `${job.id}_${ok ? 'output' : 'error'}.jsonl`,
    purpose: 'batch',
    sample_type: ok ? 'batch_result' : 'batch_error',
    num_lines: lines.length,
    mimetype: 'application/jsonl',
    source: 'mistral',
    signature: null,
    expires_at: null,
    visibility: 'workspace',
    deleted: false,
  };
};

const deletedResults = new WeakMap<SimContext, Set<string>>();

/* ------------------------------------------------------------- routes */

/**
 * Serves a Mistral request and resolves true, or resolves false when the path is not
 * Mistral's (see {@link MISTRAL_PREFIX}).
 */
const handleMistral: SimRoute = async (ctx, req, res, url, headers) => {
  if (!isMistralPath(url.pathname)) return false;
  const path = url.pathname.slice(MISTRAL_PREFIX.length);
  const method = req.method ?? 'GET';
  const now = ctx.clock.now();
  const removed = deletedResults.get(ctx) ?? new Set<string>();
  deletedResults.set(ctx, removed);

  if (method === 'POST' && SERVED_ENDPOINTS.includes(path)) {
    const body = await readJson(req);
    const problem = bodyProblem(path, body);
    if (problem !== null) {
      sendJson(res, problem.status, problem.body, headers);
      return true;
    }
    const latency = ctx.faults.realtimeLatencyMs ?? 0;
    if (latency > 0) await sleep(latency);
    const key = hashId(16, ctx.seed, 'mistral-sync', JSON.stringify(body));
    sendJson(res, 200, fakeBody(ctx.seed, path, key, body, seconds(now)), headers);
    return true;
  }
  if (path === '/v1/files' && method === 'POST') {
    sendJson(res, 200, await uploadFile(ctx, req, now), headers);
    return true;
  }
  const fileMatch = /^\/v1\/files\/([^/]+)(\/content)?$/.exec(path);
  if (fileMatch?.[1] !== undefined) {
    const id = fileMatch[1];
    if (removed.has(id)) throw fail(404, 'not_found', `File ${id} not found`);
    const found = findFile(ctx, id, now);
    if (method === 'GET' && fileMatch[2] !== undefined) {
      if ('file' in found) {
        res.writeHead(200, { 'content-type': 'application/octet-stream', ...headers });
        res.end(found.file.content);
        return true;
      }
      found.job.downloads += 1;
      const lines = (function* () {
        for (const { ok, line } of resultLines(ctx, found.job, now)) {
          if (ok === found.ok) yield JSON.stringify(line);
        }
      })();
      await streamResultLines(res, lines, found.job.faults, found.job.downloads, {
        ...headers,
        'content-type': 'application/octet-stream',
      });
      return true;
    }
    if (method === 'DELETE' && fileMatch[2] === undefined) {
      if ('file' in found) found.file.deleted = true;
      else removed.add(id);
      sendJson(res, 200, { id, object: 'file', deleted: true }, headers);
      return true;
    }
    if (method === 'GET') {
      sendJson(
        res,
        200,
        'file' in found ? fileView(found.file) : resultFileView(ctx, found.job, found.ok, id, now),
        headers,
      );
      return true;
    }
  }
  if (path === '/v1/batch/jobs' && method === 'POST') {
    await createJob(ctx, req, res, headers, now);
    return true;
  }
  if (path === '/v1/batch/jobs' && method === 'GET') {
    sendJson(res, 200, listJobs(ctx, url, now), headers);
    return true;
  }
  const jobMatch = /^\/v1\/batch\/jobs\/([^/]+)(\/cancel)?$/.exec(path);
  if (jobMatch?.[1] !== undefined) {
    const job = liveJob(ctx, jobMatch[1]);
    if (method === 'POST' && jobMatch[2] !== undefined) {
      const { endedAt } = statusOf(ctx, job, now);
      if (endedAt === null && job.cancelAt === null) job.cancelAt = now;
      sendJson(res, 200, jobView(ctx, job, now), headers);
      return true;
    }
    if (method === 'GET' && jobMatch[2] === undefined) {
      sendJson(res, 200, jobView(ctx, job, now), headers);
      return true;
    }
    if (method === 'DELETE' && jobMatch[2] === undefined) {
      job.deleted = true;
      sendJson(res, 200, { id: job.id, object: 'batch', deleted: true }, headers);
      return true;
    }
  }
  throw fail(404, 'not_found', `Unknown path ${method} ${path}`);
};

/** Mistral's error bodies: the FastAPI `detail` list for 422, its envelope otherwise. */
const sendMistralError = (
  res: ServerResponse,
  error: unknown,
  headers: Record<string, string>,
): void =>
  sendHttpError(res, error, headers, 'internal_server_error', (httpError) => {
    if (httpError.status === 422) {
      const loc = httpError.extra.param
        ? (JSON.parse(httpError.extra.param) as unknown[])
        : ['body'];
      return { detail: [{ type: 'value_error', loc, msg: httpError.message }] };
    }
    if (httpError.status === 401) {
      return { message: 'Unauthorized', request_id: headers['x-request-id'] ?? null };
    }
    return errorBody(httpError.message, httpError.type, httpError.extra.code ?? null);
  });

/** Counts for the simulator's stats. */
const mistralStats = (
  ctx: SimContext,
  now: number,
): {
  jobs: Record<string, number>;
  requests: { total: number; succeeded: number; failed: number };
} => {
  const jobs: Record<string, number> = {};
  const requests = { total: 0, succeeded: 0, failed: 0 };
  for (const job of stateOf(ctx).jobs.values()) {
    if (job.deleted) continue;
    const view = jobView(ctx, job, now);
    const status = String(view.status);
    jobs[status] = (jobs[status] ?? 0) + 1;
    requests.total += job.lines.length;
    requests.succeeded += Number(view.succeeded_requests);
    requests.failed += Number(view.failed_requests);
  }
  return { jobs, requests };
};

export { handleMistral, isMistralPath, MISTRAL_PREFIX, mistralStats, sendMistralError };
