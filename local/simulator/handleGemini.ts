import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type BatchPhase,
  type BatchSchedule,
  itemDisposition,
  itemOutcome,
  type ResultErrorType,
  storedBatchPhase,
  storedBatchSchedule,
} from './batchSchedule.js';
import {
  fakeGeminiResponse,
  type GeminiProblem,
  modelProblem,
  requestProblem,
  unknownFieldProblem,
} from './fakeGeminiResponse.js';
import { realtimeFaultsOf, waitBeforeAnswer } from './handleRealtimeAnthropic.js';
import { isRecord, parseJsonBody, readBody, SimHttpError, sendJson } from './httpIo.js';
import type { SimContext } from './SimContext.js';
import { parseFaultsHeader, readFaultsOr } from './SimulatorFaults.js';
import type { GeminiBatchRecord, GeminiFileRecord } from './SimulatorStore.js';
import { hashUnit } from './seededRandom.js';
import { streamResultLines } from './streamResultLines.js';

/**
 * Gemini API (Developer API, `v1beta`) as `@google/genai` 2.32 calls it: Batch Mode
 * (`models/{m}:batchGenerateContent`, `batches/{id}` get, list, `:cancel`, delete), the Files
 * API (resumable upload, get, delete, download) and synchronous `models/{m}:generateContent`.
 * Errors are `{error:{code,message,status}}`.
 */

const API = 'v1beta';
const OPERATION_TYPE =
  'type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch';
const OUTPUT_TYPE =
  'type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatchOutput';
/** A batch pending or running this long expires, with no results. */
const EXPIRY_MS = 48 * 3600 * 1000;
/** Files are kept 48 hours. */
const FILE_TTL_MS = 48 * 3600 * 1000;
const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 1000;
/** No single synchronous request body is larger (a cap against a runaway client). */
const MAX_SYNC_BODY_BYTES = 32 * 1000 * 1000;
/** Statuses per simulated item error type. */
const ITEM_ERRORS: Record<ResultErrorType, { code: number; status: string; message: string }> = {
  not_found_error: {
    code: 404,
    status: 'NOT_FOUND',
    message: 'Requested entity was not found. (simulated)',
  },
  invalid_request_error: {
    code: 400,
    status: 'INVALID_ARGUMENT',
    message: 'Request contains an invalid argument. (simulated)',
  },
  api_error: {
    code: 500,
    status: 'INTERNAL',
    message: 'An internal error has occurred. (simulated)',
  },
  overloaded_error: {
    code: 503,
    status: 'UNAVAILABLE',
    message: 'The model is overloaded. Please try again later. (simulated)',
  },
  rate_limit_error: {
    code: 429,
    status: 'RESOURCE_EXHAUSTED',
    message: 'Resource has been exhausted (e.g. check quota). (simulated)',
  },
  timeout_error: {
    code: 504,
    status: 'DEADLINE_EXCEEDED',
    message: 'Deadline expired before operation could complete. (simulated)',
  },
};

/** Pending uploads, by upload id: what the start call declared, and the bytes so far. */
interface PendingUpload {
  readonly id: string;
  readonly displayName: string;
  readonly mimeType: string;
  readonly declaredBytes: number;
  chunks: Buffer[];
  received: number;
}
const pendingUploads = new WeakMap<SimContext, Map<string, PendingUpload>>();

const fail = (code: number, status: string, message: string): SimHttpError =>
  new SimHttpError(code, status, message);
const invalid = (message: string): SimHttpError => fail(400, 'INVALID_ARGUMENT', message);
const fromProblem = (problem: GeminiProblem): SimHttpError =>
  fail(problem.code, problem.status, problem.message);

const iso = (ms: number): string => new Date(ms).toISOString();

/** Whether this request is the Gemini API's (so its errors get Gemini's envelope). */
const isGeminiPath = (pathname: string): boolean =>
  pathname.startsWith(`/${API}/`) ||
  pathname.startsWith(`/upload/${API}/`) ||
  pathname.startsWith(`/download/${API}/`);

/** One request to the Gemini API, as its handlers take it. */
interface GeminiCall {
  readonly ctx: SimContext;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
  readonly headers: Record<string, string>;
  /** What the simulator's Gemini base URL is (file views name their download URI under it). */
  readonly baseUrl: string;
  readonly method: string;
  readonly now: number;
}

const handleGemini = async (
  ctx: SimContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  headers: Record<string, string>,
  baseUrl: string,
): Promise<boolean> => {
  if (!isGeminiPath(url.pathname)) return false;
  const method = req.method ?? 'GET';
  const path = decodeURIComponent(url.pathname);
  const now = ctx.clock.now();
  const call: GeminiCall = { ctx, req, res, url, headers, baseUrl, method, now };
  if (path === `/upload/${API}/files` && method === 'POST') {
    await handleUpload(call);
    return true;
  }
  const download = /^\/(?:download\/)?v1beta\/files\/([^/:]+):download$/.exec(path);
  if (download !== null && method === 'GET') {
    await downloadFile(call, download[1] ?? '');
    return true;
  }
  const model = /^\/v1beta\/models\/([^/:]+):(generateContent|batchGenerateContent)$/.exec(path);
  if (model !== null && method === 'POST') {
    if (model[2] === 'generateContent') await generateContent(call, model[1] ?? '');
    else await createBatch(call, model[1] ?? '');
    return true;
  }
  if (path === `/${API}/batches` && method === 'GET') {
    sendJson(res, 200, listBatches(ctx, url, now), headers);
    return true;
  }
  if (path === `/${API}/files` && method === 'GET') {
    sendJson(res, 200, listFiles(ctx, url, now, baseUrl), headers);
    return true;
  }
  const batch = /^\/v1beta\/batches\/([^/:]+)(?::(cancel|delete))?$/.exec(path);
  if (batch !== null) {
    await handleBatch(call, batch[1] ?? '', batch[2] ?? null);
    return true;
  }
  const file = /^\/v1beta\/files\/([^/:]+)$/.exec(path);
  if (file !== null) {
    handleFile(call, file[1] ?? '');
    return true;
  }
  throw fail(404, 'NOT_FOUND', `Method not found: ${method} ${url.pathname}`);
};

/* ---------------------------------------------------------------- generateContent */

const generateContent = async (call: GeminiCall, model: string): Promise<void> => {
  const { ctx, req, res, headers } = call;
  const faults = realtimeFaultsOf(ctx, req);
  const { body: raw } = await readBody(req, MAX_SYNC_BODY_BYTES);
  if (raw === null) throw fail(413, 'INVALID_ARGUMENT', 'Request payload size exceeds the limit.');
  const body = parseGeminiJson(raw);
  const problem =
    modelProblem(model) ??
    unknownFieldProblem(body, 'generate_content_request') ??
    requestProblem(body);
  if (problem !== null) throw fromProblem(problem);
  const tier = typeof body.serviceTier === 'string' ? body.serviceTier.toLowerCase() : null;
  const requestId = headers['x-request-id'] ?? '';
  const retryCount = Number(req.headers['x-stainless-retry-count'] ?? 0);
  const shed =
    tier === 'flex' &&
    (faults.flexUnavailableMaxPerRequest === undefined ||
      retryCount < faults.flexUnavailableMaxPerRequest) &&
    hashUnit(ctx.seed, 'gemini-flex-shed', requestId) < (faults.flexUnavailableRate ?? 0);
  if (shed) {
    throw fail(
      429,
      'RESOURCE_EXHAUSTED',
      'Flex capacity is not available right now (simulated). Retry later, or send the request without serviceTier "flex".',
    );
  }
  await waitBeforeAnswer(res, faults.realtimeLatencyMs ?? 0);
  if (res.destroyed) return;
  const { serviceTier: _tier, model: _model, ...request } = body;
  sendJson(res, 200, fakeGeminiResponse(ctx.seed, 'sync', model, request), headers);
};

/** Parses a JSON object body; anything else is Gemini's 400. */
const parseGeminiJson = (raw: Buffer): Record<string, unknown> => {
  let value: unknown;
  try {
    value = parseJsonBody(raw);
  } catch {
    throw invalid('Invalid JSON payload received. Unexpected token.');
  }
  if (!isRecord(value)) throw invalid('Invalid JSON payload received. Expected an object.');
  return value;
};

/* ---------------------------------------------------------------- batches */

/** A batch waits pending for a moment before it runs. */
const scheduleOf = (ctx: SimContext, record: GeminiBatchRecord): BatchSchedule =>
  storedBatchSchedule(ctx.seed, record, 0.05);

type BatchState =
  | 'BATCH_STATE_PENDING'
  | 'BATCH_STATE_RUNNING'
  | 'BATCH_STATE_SUCCEEDED'
  | 'BATCH_STATE_FAILED'
  | 'BATCH_STATE_CANCELLED'
  | 'BATCH_STATE_EXPIRED';

/** Gemini's name of each phase; it has no cancelling state (a batch runs until cancelled). */
const GEMINI_STATES: Readonly<Record<BatchPhase, BatchState>> = {
  pending: 'BATCH_STATE_PENDING',
  running: 'BATCH_STATE_RUNNING',
  failed: 'BATCH_STATE_FAILED',
  cancelling: 'BATCH_STATE_RUNNING',
  cancelled: 'BATCH_STATE_CANCELLED',
  succeeded: 'BATCH_STATE_SUCCEEDED',
  expired: 'BATCH_STATE_EXPIRED',
};

/** The batch's state at `now`, and when it reached a terminal one. */
const geminiStateOf = (
  ctx: SimContext,
  record: GeminiBatchRecord,
  now: number,
): { state: BatchState; endedAt: number | null } => {
  const keys = record.requests.map((item, index) => keyOf(item.key, index));
  const { phase, endedAt } = storedBatchPhase(scheduleOf(ctx, record), record, keys, now);
  return { state: GEMINI_STATES[phase], endedAt };
};

/** A request's key, or a stand-in for one that had none (it still gets a result). */
const keyOf = (key: string | null, index: number): string => key ?? `#${index}`;

/** Each finished request's result, as a responses-file line's object. */
function* resultItems(
  ctx: SimContext,
  record: GeminiBatchRecord,
  now: number,
): Generator<Record<string, unknown>> {
  const schedule = scheduleOf(ctx, record);
  for (const [index, item] of record.requests.entries()) {
    const key = keyOf(item.key, index);
    if (itemDisposition(schedule, key, now) !== 'done') continue;
    const head = item.key === null ? {} : { key: item.key };
    const outcome = itemOutcome(ctx.seed, record.id, key, record.faults.itemErrorRates, null);
    const error = item.problem ?? (outcome.kind === 'error' ? ITEM_ERRORS[outcome.type] : null);
    if (error !== null) {
      yield {
        ...head,
        error: { code: error.code, message: error.message, status: error.status },
        metadata: item.metadata,
      };
    } else {
      yield {
        ...head,
        response: fakeGeminiResponse(ctx.seed, key, record.model, item.request),
        metadata: item.metadata,
      };
    }
  }
}

const responsesFileId = (record: GeminiBatchRecord): string => `batch-${record.id}`;

/** The batch as the long-running Operation `get` returns. */
const operationView = (
  ctx: SimContext,
  record: GeminiBatchRecord,
  now: number,
  withOutput = true,
): Record<string, unknown> => {
  const { state, endedAt } = geminiStateOf(ctx, record, now);
  const schedule = scheduleOf(ctx, record);
  let done = 0;
  let failed = 0;
  const ended = endedAt !== null;
  const withResults = state === 'BATCH_STATE_SUCCEEDED' || state === 'BATCH_STATE_CANCELLED';
  if (withResults) {
    for (const item of resultItems(ctx, record, now)) {
      if ('error' in item) failed += 1;
      else done += 1;
    }
  } else if (!ended) {
    for (const [index, item] of record.requests.entries()) {
      if (itemDisposition(schedule, keyOf(item.key, index), now) === 'done') done += 1;
    }
  }
  let output: Record<string, unknown> | null = null;
  if (withResults && withOutput) {
    if (record.source.kind === 'file') {
      ensureResponsesFile(ctx, record, now);
      output = { responsesFile: `files/${responsesFileId(record)}` };
    } else {
      output = {
        inlinedResponses: { inlinedResponses: [...resultItems(ctx, record, now)].map(inlineItem) },
      };
    }
  }
  const metadata: Record<string, unknown> = {
    '@type': OPERATION_TYPE,
    model: record.model,
    displayName: record.displayName,
    inputConfig:
      record.source.kind === 'file'
        ? { fileName: record.source.fileName }
        : { requests: { requests: [] } },
    createTime: iso(record.createdAt),
    updateTime: iso(endedAt ?? now),
    ...(ended ? { endTime: iso(endedAt) } : {}),
    state,
    batchStats: {
      requestCount: String(record.requests.length),
      ...(done > 0 ? { successfulRequestCount: String(done) } : {}),
      ...(failed > 0 ? { failedRequestCount: String(failed) } : {}),
      ...(ended ? {} : { pendingRequestCount: String(record.requests.length - done) }),
    },
    ...(output === null ? {} : { output }),
  };
  return {
    name: `batches/${record.id}`,
    metadata,
    done: ended,
    ...(output === null ? {} : { response: { '@type': OUTPUT_TYPE, ...output } }),
    ...(state === 'BATCH_STATE_FAILED'
      ? { error: { code: 3, message: record.failure ?? 'The batch failed.' } }
      : {}),
  };
};

/** Inline responses carry the request's metadata, not a `key`. */
const inlineItem = (item: Record<string, unknown>): Record<string, unknown> => {
  const { key: _key, ...rest } = item;
  return rest;
};

const ensureResponsesFile = (ctx: SimContext, record: GeminiBatchRecord, now: number): void => {
  const id = responsesFileId(record);
  if (ctx.store.geminiFiles.has(id)) return;
  ctx.store.saveGeminiFile({
    id,
    seq: ctx.store.nextSeq(),
    createdAt: now,
    displayName: `${record.displayName || record.id} responses`,
    mimeType: 'application/jsonl',
    sizeBytes: [...resultItems(ctx, record, now)].reduce(
      (sum, item) => sum + Buffer.byteLength(fileLine(item)) + 1,
      0,
    ),
    deleted: false,
    source: { kind: 'batch', batchId: record.id },
  });
};

/** A responses-file line: `key` first, then `response` or `error` (no request metadata). */
const fileLine = (item: Record<string, unknown>): string => {
  const { metadata: _metadata, ...rest } = item;
  return JSON.stringify(rest);
};

const createBatch = async (call: GeminiCall, model: string): Promise<void> => {
  const { ctx, req, res, headers, now } = call;
  const faults = ctx.batchFaults(
    readFaultsOr(() => parseFaultsHeader(req.headers['x-sim-faults']), invalid),
  );
  const limit = ctx.limits.geminiMaxInlineBytes;
  const { body: raw, bytes } = await readBody(req, limit);
  if (raw === null) {
    throw invalid(`Request payload size exceeds the limit: ${limit} bytes. (got ${bytes})`);
  }
  const body = parseGeminiJson(raw);
  const modelIssue = modelProblem(model);
  if (modelIssue !== null) throw fromProblem(modelIssue);
  const batch = isRecord(body.batch) ? body.batch : null;
  if (batch === null) throw invalid('* BatchGenerateContentRequest.batch: batch is required');
  const input = pick(batch, 'inputConfig', 'input_config');
  if (!isRecord(input))
    throw invalid('* GenerateContentBatch.input_config: input_config is required');
  const fileName = pick(input, 'fileName', 'file_name');
  const inlineWrapper = pick(input, 'requests');
  if ((fileName === undefined) === (inlineWrapper === undefined)) {
    throw invalid(
      '* GenerateContentBatch.input_config: exactly one of file_name and requests must be set',
    );
  }
  const displayName = String(pick(batch, 'displayName', 'display_name') ?? '');
  const seq = ctx.store.nextSeq();
  const base = {
    id: ctx.newId('', 16, seq).toLowerCase(),
    seq,
    createdAt: now,
    processingMs: faults.processingMs ?? ctx.processingMs,
    // Gemini expires a batch 48 h after creation; the fault brings that inside processing.
    expiresAt:
      faults.expireAtFraction === undefined
        ? now + EXPIRY_MS
        : now + (faults.processingMs ?? ctx.processingMs) * faults.expireAtFraction,
    cancelAt: null,
    deleted: false,
    model: `models/${model.replace(/^models\//, '')}`,
    displayName,
    faults,
    downloads: 0,
  };
  const record: GeminiBatchRecord =
    fileName !== undefined
      ? { ...base, ...fileInput(ctx, String(fileName)) }
      : {
          ...base,
          source: { kind: 'inline' },
          failure: null,
          requests: inlineInput(inlineWrapper),
        };
  ctx.store.saveGemini(record);
  sendJson(res, 200, operationView(ctx, record, now), headers);
};

/** Proto JSON takes lowerCamelCase and the original snake_case names alike. */
const pick = (object: Record<string, unknown>, ...names: string[]): unknown => {
  for (const name of names) if (object[name] !== undefined) return object[name];
  return undefined;
};

const inlineInput = (wrapper: unknown): GeminiBatchRecord['requests'] => {
  const list = isRecord(wrapper) ? wrapper.requests : undefined;
  if (!Array.isArray(list) || list.length === 0) {
    throw invalid(
      '* GenerateContentBatch.input_config.requests.requests: at least one request is required',
    );
  }
  return list.map((entry, index) => {
    if (!isRecord(entry) || !isRecord(entry.request)) {
      throw invalid(`* InlinedRequests.requests[${index}].request: request is required`);
    }
    // The proto parser refuses the whole call for a field it does not know.
    const unknown = unknownFieldProblem(
      entry.request,
      `batch.input_config.requests.requests[${index}].request`,
    );
    if (unknown !== null) throw fromProblem(unknown);
    const metadata = entry.metadata ?? null;
    const key = isRecord(metadata) && typeof metadata.key === 'string' ? metadata.key : null;
    return { key, request: entry.request, metadata, problem: requestProblem(entry.request) };
  });
};

/** The requests of an uploaded JSONL file: `{"key","request"}` per line. */
const fileInput = (
  ctx: SimContext,
  fileName: string,
): Pick<GeminiBatchRecord, 'source' | 'requests' | 'failure'> => {
  const id = fileName.replace(/^files\//, '');
  const file = ctx.store.geminiFiles.get(id);
  if (file === undefined || file.deleted) {
    throw fail(404, 'NOT_FOUND', `File ${fileName} not found.`);
  }
  const content = ctx.store.geminiUploadContent(id) ?? Buffer.alloc(0);
  const requests: GeminiBatchRecord['requests'][number][] = [];
  const lines = content.toString('utf8').split('\n');
  for (const [index, line] of lines.entries()) {
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return {
        source: { kind: 'file', fileName: `files/${id}` },
        requests: [],
        failure: `Line ${index + 1} of ${fileName} is not valid JSON.`,
      };
    }
    if (!isRecord(value) || !isRecord(value.request)) {
      return {
        source: { kind: 'file', fileName: `files/${id}` },
        requests: [],
        failure: `Line ${index + 1} of ${fileName} has no request.`,
      };
    }
    const key = typeof value.key === 'string' ? value.key : null;
    const problem = unknownFieldProblem(value.request, 'request') ?? requestProblem(value.request);
    requests.push({ key, request: value.request, metadata: null, problem });
  }
  if (requests.length === 0) {
    return {
      source: { kind: 'file', fileName: `files/${id}` },
      requests: [],
      failure: `${fileName} holds no requests.`,
    };
  }
  return { source: { kind: 'file', fileName: `files/${id}` }, requests, failure: null };
};

const handleBatch = async (call: GeminiCall, id: string, action: string | null): Promise<void> => {
  const { ctx, req, res, method, headers, now } = call;
  const record = ctx.store.geminiBatches.get(id);
  if (record === undefined || record.deleted) {
    throw fail(404, 'NOT_FOUND', `Batch batches/${id} not found.`);
  }
  if (action === null && method === 'GET') {
    sendJson(res, 200, operationView(ctx, record, now), headers);
    return;
  }
  if (action === 'cancel' && method === 'POST') {
    await readBody(req, 1024 * 1024);
    if (geminiStateOf(ctx, record, now).endedAt !== null) {
      throw fail(
        400,
        'FAILED_PRECONDITION',
        `Batch batches/${id} has already ended and cannot be cancelled.`,
      );
    }
    if (record.cancelAt === null) {
      record.cancelAt = now;
      ctx.store.saveGemini(record);
    }
    sendJson(res, 200, {}, headers);
    return;
  }
  if ((action === null && method === 'DELETE') || (action === 'delete' && method === 'POST')) {
    record.deleted = true;
    ctx.store.saveGemini(record);
    sendJson(res, 200, {}, headers);
    return;
  }
  throw fail(
    404,
    'NOT_FOUND',
    `Method not found: ${method} batches/${id}${action === null ? '' : `:${action}`}`,
  );
};

/** Newest first, `pageSize` at a time; the page token is the position to go on from. */
/** The page of `all` a list call asks for (`pageSize`, `pageToken`), and the next page's token. */
const pageOf = <T>(
  url: URL,
  all: readonly T[],
): { readonly page: T[]; readonly next: Record<string, string> } => {
  const sizeParam = url.searchParams.get('pageSize') ?? url.searchParams.get('page_size');
  const size = sizeParam === null ? DEFAULT_PAGE_SIZE : Number(sizeParam);
  if (!Number.isInteger(size) || size < 0)
    throw invalid('page_size must be a non-negative integer');
  const pageSize = size === 0 ? DEFAULT_PAGE_SIZE : Math.min(size, MAX_PAGE_SIZE);
  const token = url.searchParams.get('pageToken') ?? url.searchParams.get('page_token') ?? '';
  const start = token === '' ? 0 : Number(Buffer.from(token, 'base64url').toString('utf8'));
  if (!Number.isInteger(start) || start < 0) throw invalid('Invalid page_token.');
  const next = start + pageSize;
  return {
    page: all.slice(start, start + pageSize),
    next:
      next < all.length ? { nextPageToken: Buffer.from(String(next)).toString('base64url') } : {},
  };
};

const listBatches = (ctx: SimContext, url: URL, now: number): Record<string, unknown> => {
  const all = [...ctx.store.geminiBatches.values()]
    .filter((record) => !record.deleted)
    .sort((a, b) => b.seq - a.seq);
  const { page, next } = pageOf(url, all);
  return {
    // Listing never carries outputs: read a batch with get for its results.
    operations: page.map((record) => operationView(ctx, record, now, false)),
    ...next,
  };
};

/** `files.list`: the files still kept, newest first. */
const listFiles = (ctx: SimContext, url: URL, now: number, baseUrl: string) => {
  const all = [...ctx.store.geminiFiles.values()]
    .filter((file) => !file.deleted && now < file.createdAt + fileTtlMs(ctx, file))
    .sort((a, b) => b.seq - a.seq);
  const { page, next } = pageOf(url, all);
  return {
    files: page.map((file) => fileView(file, baseUrl, null, fileTtlMs(ctx, file))),
    ...next,
  };
};

/* ---------------------------------------------------------------- files */

const fileView = (
  file: GeminiFileRecord,
  baseUrl: string,
  content: Buffer | null,
  ttlMs = FILE_TTL_MS,
): Record<string, unknown> => ({
  name: `files/${file.id}`,
  ...(file.displayName === '' ? {} : { displayName: file.displayName }),
  mimeType: file.mimeType,
  sizeBytes: String(file.sizeBytes),
  createTime: iso(file.createdAt),
  updateTime: iso(file.createdAt),
  expirationTime: iso(file.createdAt + ttlMs),
  ...(content === null
    ? {}
    : { sha256Hash: createHash('sha256').update(content).digest('base64') }),
  uri: `${baseUrl}/${API}/files/${file.id}`,
  ...(file.source.kind === 'batch'
    ? { downloadUri: `${baseUrl}/download/${API}/files/${file.id}:download?alt=media` }
    : {}),
  state: 'ACTIVE',
  source: file.source.kind === 'upload' ? 'UPLOADED' : 'GENERATED',
});

/** How long a file lives: 48 h, or a responses file its batch's `resultsRetentionMs`. */
const fileTtlMs = (ctx: SimContext, file: GeminiFileRecord): number =>
  (file.source.kind === 'batch'
    ? ctx.store.geminiBatches.get(file.source.batchId)?.faults.resultsRetentionMs
    : undefined) ?? FILE_TTL_MS;

const liveFile = (ctx: SimContext, id: string, now: number): GeminiFileRecord => {
  const file = ctx.store.geminiFiles.get(id);
  if (file === undefined || file.deleted || now >= file.createdAt + fileTtlMs(ctx, file)) {
    throw fail(
      403,
      'PERMISSION_DENIED',
      `You do not have permission to access the File ${id} or it may not exist.`,
    );
  }
  return file;
};

const handleFile = (call: GeminiCall, id: string): void => {
  const { ctx, res, method, headers, now, baseUrl } = call;
  const file = liveFile(ctx, id, now);
  if (method === 'GET') {
    const content = ctx.store.geminiUploadContent(id) ?? null;
    sendJson(res, 200, fileView(file, baseUrl, content, fileTtlMs(ctx, file)), headers);
    return;
  }
  if (method === 'DELETE') {
    file.deleted = true;
    ctx.store.saveGeminiFile(file);
    sendJson(res, 200, {}, headers);
    return;
  }
  throw fail(404, 'NOT_FOUND', `Method not found: ${method} files/${id}`);
};

const downloadFile = async (call: GeminiCall, id: string): Promise<void> => {
  const { ctx, res, headers, now } = call;
  const file = liveFile(ctx, id, now);
  if (file.source.kind === 'upload') {
    const content = ctx.store.geminiUploadContent(id) ?? Buffer.alloc(0);
    res.writeHead(200, {
      'content-type': file.mimeType,
      'content-length': content.length,
      ...headers,
    });
    res.end(content);
    return;
  }
  const record = ctx.store.geminiBatches.get(file.source.batchId);
  if (record === undefined) throw fail(404, 'NOT_FOUND', `File ${id} not found.`);
  record.downloads += 1;
  ctx.store.saveGemini(record);
  const items = [...resultItems(ctx, record, now)];
  if (record.faults.shuffleResults !== false) {
    items.sort(
      (a, b) =>
        hashUnit(ctx.seed, 'gemini-order', JSON.stringify(a.key)) -
        hashUnit(ctx.seed, 'gemini-order', JSON.stringify(b.key)),
    );
  }
  await streamResultLines(res, items.map(fileLine), record.faults, record.downloads, headers);
};

/**
 * The resumable upload protocol: `start` (JSON metadata, answered with `x-goog-upload-url`),
 * then `upload` chunks at increasing `x-goog-upload-offset`, the last one `upload, finalize`,
 * each answered with `x-goog-upload-status` (`active`, then `final` with the file).
 */
const handleUpload = async (call: GeminiCall): Promise<void> => {
  const { ctx, req, res, url, headers, baseUrl, now } = call;
  const uploads = pendingUploads.get(ctx) ?? new Map<string, PendingUpload>();
  pendingUploads.set(ctx, uploads);
  const command = String(req.headers['x-goog-upload-command'] ?? '').toLowerCase();
  const uploadId = url.searchParams.get('upload_id');
  if (uploadId === null) {
    if (req.headers['x-goog-upload-protocol'] !== 'resumable' || command !== 'start') {
      throw invalid(
        'Only the resumable upload protocol is supported: send X-Goog-Upload-Protocol: resumable and X-Goog-Upload-Command: start.',
      );
    }
    const { body: raw } = await readBody(req, 1024 * 1024);
    const body = raw === null || raw.length === 0 ? {} : parseGeminiJson(raw);
    const meta = isRecord(body.file) ? body.file : {};
    const declared = Number(
      req.headers['x-goog-upload-header-content-length'] ??
        pick(meta, 'sizeBytes', 'size_bytes') ??
        Number.NaN,
    );
    if (!Number.isInteger(declared) || declared < 0) {
      throw invalid('X-Goog-Upload-Header-Content-Length must give the file size.');
    }
    if (declared > ctx.limits.geminiMaxFileBytes) {
      throw invalid(
        `File size ${declared} exceeds the limit of ${ctx.limits.geminiMaxFileBytes} bytes.`,
      );
    }
    const requested = pick(meta, 'name');
    const seq = ctx.store.nextSeq();
    const id =
      typeof requested === 'string'
        ? requested.replace(/^files\//, '')
        : ctx.newId('', 12, seq).toLowerCase();
    if (!/^[a-z0-9-]{1,40}$/.test(id) || id.startsWith('-') || id.endsWith('-')) {
      throw invalid(
        `Invalid file name "${String(requested)}": ids are 1-40 lower-case letters, digits or dashes.`,
      );
    }
    const existing = ctx.store.geminiFiles.get(id);
    if (existing !== undefined && !existing.deleted) {
      throw fail(409, 'ALREADY_EXISTS', `File files/${id} already exists.`);
    }
    const uploadKey = `${id}-${seq}`;
    uploads.set(uploadKey, {
      id,
      displayName: String(pick(meta, 'displayName', 'display_name') ?? ''),
      mimeType: String(
        req.headers['x-goog-upload-header-content-type'] ??
          pick(meta, 'mimeType', 'mime_type') ??
          'application/octet-stream',
      ),
      declaredBytes: declared,
      chunks: [],
      received: 0,
    });
    res.writeHead(200, {
      ...headers,
      'x-goog-upload-status': 'active',
      'x-goog-upload-url': `${baseUrl}/upload/${API}/files?upload_id=${uploadKey}&upload_protocol=resumable`,
      'x-goog-upload-control-url': `${baseUrl}/upload/${API}/files?upload_id=${uploadKey}&upload_protocol=resumable`,
      'x-goog-upload-chunk-granularity': String(8 * 1024 * 1024),
      'content-length': 0,
    });
    res.end();
    return;
  }
  const upload = uploads.get(uploadId);
  if (upload === undefined) throw fail(404, 'NOT_FOUND', 'Upload session not found or expired.');
  const offset = Number(req.headers['x-goog-upload-offset'] ?? Number.NaN);
  const { body: chunk } = await readBody(req, ctx.limits.geminiMaxFileBytes);
  if (chunk === null) throw invalid('Chunk too large.');
  if (offset !== upload.received) {
    throw invalid(
      `X-Goog-Upload-Offset ${offset} does not match the ${upload.received} bytes received.`,
    );
  }
  if (!command.startsWith('upload')) throw invalid(`Unknown X-Goog-Upload-Command "${command}".`);
  upload.chunks.push(chunk);
  upload.received += chunk.length;
  if (upload.received > upload.declaredBytes) {
    uploads.delete(uploadId);
    throw invalid(`Upload exceeds the declared ${upload.declaredBytes} bytes.`);
  }
  if (!command.includes('finalize')) {
    res.writeHead(200, { ...headers, 'x-goog-upload-status': 'active', 'content-length': 0 });
    res.end();
    return;
  }
  uploads.delete(uploadId);
  if (upload.received !== upload.declaredBytes) {
    throw invalid(
      `Upload finalized at ${upload.received} of the declared ${upload.declaredBytes} bytes.`,
    );
  }
  const content = Buffer.concat(upload.chunks);
  const file: GeminiFileRecord = {
    id: upload.id,
    seq: ctx.store.nextSeq(),
    createdAt: now,
    displayName: upload.displayName,
    mimeType: upload.mimeType,
    sizeBytes: content.length,
    deleted: false,
    source: { kind: 'upload' },
  };
  ctx.store.saveGeminiFile(file, content);
  sendJson(
    res,
    200,
    { file: fileView(file, baseUrl, content) },
    { ...headers, 'x-goog-upload-status': 'final' },
  );
};

/** Counts for the simulator's stats. */
const geminiStats = (
  ctx: SimContext,
  now: number,
): {
  batches: Record<string, number>;
  requests: { total: number; succeeded: number; failed: number };
} => {
  const batches: Record<string, number> = {};
  const requests = { total: 0, succeeded: 0, failed: 0 };
  for (const record of ctx.store.geminiBatches.values()) {
    if (record.deleted) continue;
    const { state } = geminiStateOf(ctx, record, now);
    batches[state] = (batches[state] ?? 0) + 1;
    requests.total += record.requests.length;
    if (state === 'BATCH_STATE_SUCCEEDED' || state === 'BATCH_STATE_CANCELLED') {
      for (const item of resultItems(ctx, record, now)) {
        if ('error' in item) requests.failed += 1;
        else requests.succeeded += 1;
      }
    }
  }
  return { batches, requests };
};

export { geminiStateOf, geminiStats, handleGemini, isGeminiPath };
