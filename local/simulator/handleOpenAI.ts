import type { IncomingMessage, ServerResponse } from 'node:http';
import { handleRealtimeOpenAI } from './handleRealtimeOpenAI.js';
import { isRecord, parseJsonBody, readBody, SimHttpError, sendJson } from './httpIo.js';
import {
  finalizeOpenAIBatch,
  openaiBatchView,
  openaiFileLines,
  openaiTimeline,
} from './openaiBatchView.js';
import {
  AZURE_DEPLOYMENTS,
  OPENAI_DIALECT,
  type OpenAIDialect,
  windowMs,
} from './openaiDialects.js';
import { multipartBoundary, parseMultipart } from './parseMultipart.js';
import type { SimContext } from './SimContext.js';
import {
  faultsFromMetadata,
  mergeFaults,
  parseFaultsHeader,
  readFaultsOr,
} from './SimulatorFaults.js';
import type { FileRecord, OpenAIBatchRecord } from './SimulatorStore.js';
import { streamResultLines } from './streamResultLines.js';
import { validateOpenAIInput } from './validateOpenAIInput.js';

const FILE_PURPOSES = [
  'assistants',
  'assistants_output',
  'batch',
  'batch_output',
  'fine-tune',
  'fine-tune-results',
  'vision',
  'user_data',
  'evals',
] as const;
const DAY_MS = 24 * 3600 * 1000;

/** Whether a record belongs to the dialect a request came in on. */
const ownedBy = (record: { readonly dialect?: string }, dialect: OpenAIDialect): boolean =>
  (record.dialect ?? 'openai') === dialect.id;

/** Azure puts the model the deployment serves in each answer, not the deployment's name. */
const withDeployedModel = (
  body: Record<string, unknown>,
  dialect: OpenAIDialect,
): Record<string, unknown> => {
  const deployment = typeof body.model === 'string' ? AZURE_DEPLOYMENTS[body.model] : undefined;
  return dialect.azure && deployment !== undefined ? { ...body, model: deployment.model } : body;
};

/** Unix ms → RFC 3339 (Together's timestamps), null kept. */
const rfc3339 = (seconds: unknown): string | null =>
  typeof seconds === 'number' ? new Date(seconds * 1000).toISOString() : null;

/**
 * Together's batch object: upper-case statuses, RFC 3339 times, `model_id`, `progress`,
 * `job_deadline` and `error`, and no `metadata`, `request_counts` or `errors` list.
 */
const togetherView = (view: Record<string, unknown>): Record<string, unknown> => {
  const counts = view.request_counts as { total: number; completed: number; failed: number };
  const done = counts.completed + counts.failed;
  const errors = view.errors as { data?: { message?: string }[] } | null;
  return {
    id: view.id,
    input_file_id: view.input_file_id,
    file_size_bytes: view.file_size_bytes,
    status: String(view.status).toUpperCase(),
    job_deadline: rfc3339(view.expires_at),
    created_at: rfc3339(view.created_at),
    endpoint: view.endpoint,
    progress: counts.total === 0 ? 0 : Math.round((100 * done) / counts.total),
    model_id: view.model,
    output_file_id: view.output_file_id,
    error_file_id: view.error_file_id,
    error: errors?.data?.[0]?.message ?? null,
    completed_at: rfc3339(
      view.completed_at ?? view.cancelled_at ?? view.expired_at ?? view.failed_at,
    ),
  };
};

/** The Batch object in the dialect's own shape. */
const batchView = (
  ctx: SimContext,
  record: OpenAIBatchRecord,
  now: number,
  dialect: OpenAIDialect,
): Record<string, unknown> => {
  const view = openaiBatchView(ctx, record, now);
  if (!dialect.togetherObjects) return view;
  const file = ctx.store.files.get(record.inputFileId);
  return togetherView({ ...view, file_size_bytes: file?.bytes ?? 0 });
};

const invalid = (message: string, param: string | null = null): SimHttpError =>
  new SimHttpError(400, 'invalid_request_error', message, { param });
const notFound = (message: string): SimHttpError =>
  new SimHttpError(404, 'invalid_request_error', message);

/**
 * OpenAI Files and Batch under `/v1/files` and `/v1/batches`, and the synchronous endpoints
 * (see handleRealtimeOpenAI.ts). False when not its path.
 */
const handleOpenAI = async (
  ctx: SimContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  headers: Record<string, string>,
  dialect: OpenAIDialect = OPENAI_DIALECT,
): Promise<boolean> => {
  if (await handleRealtimeOpenAI(ctx, req, res, url, headers, dialect)) return true;
  const parts = url.pathname.split('/').filter((p) => p.length > 0);
  if (parts[0] !== 'v1' || (parts[1] !== 'files' && parts[1] !== 'batches')) return false;
  if (parts.length > 4) return false;
  const now = ctx.clock.now();
  // Batches become terminal by the passage of time; create their output files before any
  // file or batch is looked at so every view is consistent.
  for (const record of ctx.store.openaiBatches.values()) finalizeOpenAIBatch(ctx, record, now);
  const call: ResourceCall = {
    ctx,
    req,
    res,
    url,
    parts,
    method: req.method ?? 'GET',
    now,
    headers,
    dialect,
  };
  await (parts[1] === 'files' ? handleFiles(call) : handleBatches(call));
  return true;
};

const fileView = (file: FileRecord): Record<string, unknown> => ({
  id: file.id,
  object: 'file',
  bytes: file.bytes,
  created_at: Math.floor(file.createdAt / 1000),
  filename: file.filename,
  purpose: file.purpose,
  status: 'processed',
  status_details: null,
  expires_at: file.expiresAt === null ? null : Math.floor(file.expiresAt / 1000),
});

/** A request to one resource (`/v1/files…`, `/v1/batches…`); `parts` are the path's segments. */
interface ResourceCall {
  readonly ctx: SimContext;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
  readonly parts: string[];
  readonly method: string;
  readonly now: number;
  readonly headers: Record<string, string>;
  readonly dialect: OpenAIDialect;
}

/** One resource's routes. */
type ResourceRoute = (call: ResourceCall) => Promise<void>;

const handleFiles: ResourceRoute = async (call) => {
  const { ctx, req, res, url, parts, method, now, headers, dialect } = call;
  const id = parts[2];
  if (id === undefined) {
    if (method === 'POST') {
      sendJson(res, 200, fileView(await uploadFile(ctx, req, now, dialect)), headers);
      return;
    }
    if (method === 'GET') {
      sendJson(res, 200, listFiles(ctx, url, dialect), headers);
      return;
    }
    throw invalid('Method not allowed for this path.');
  }
  const file = ctx.store.files.get(id);
  // A file past its `expires_at` is deleted, as the Files API deletes it.
  const expired = file?.expiresAt != null && now >= file.expiresAt;
  if (file === undefined || file.deleted || expired || !ownedBy(file, dialect)) {
    throw notFound(`No such File object: ${id}`);
  }
  const action = parts[3];
  if (action === undefined && method === 'GET') {
    sendJson(res, 200, fileView(file), headers);
  } else if (action === undefined && method === 'DELETE') {
    file.deleted = true;
    ctx.store.saveFile(file);
    sendJson(res, 200, { id, object: 'file', deleted: true }, headers);
  } else if (action === 'content' && method === 'GET') {
    await sendFileContent(ctx, res, file, headers, dialect);
  } else {
    throw invalid('Method not allowed for this path.');
  }
};

const sendFileContent = async (
  ctx: SimContext,
  res: ServerResponse,
  file: FileRecord,
  headers: Record<string, string>,
  dialect: OpenAIDialect,
): Promise<void> => {
  if (file.source.kind === 'upload') {
    const content = ctx.store.uploadContent(file.id) ?? Buffer.alloc(0);
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': content.length,
      ...headers,
    });
    res.end(content);
    return;
  }
  const batch = ctx.store.openaiBatches.get(file.source.batchId);
  if (batch === undefined) throw notFound(`No such File object: ${file.id}`);
  file.downloads += 1;
  ctx.store.saveFile(file);
  const lines = openaiFileLines(ctx, batch, file.source.which);
  await streamResultLines(
    res,
    dialect.togetherObjects && file.source.which === 'error' ? togetherErrorLines(lines) : lines,
    batch.faults,
    file.downloads,
    headers,
  );
};

/**
 * Together's error-file lines: `{"custom_id", "error": {"message", "code"}}`, for failures at
 * the endpoint as for those that never reached it.
 */
function* togetherErrorLines(lines: Iterable<string>): Generator<string> {
  for (const line of lines) {
    const parsed = JSON.parse(line) as {
      custom_id: string;
      response: {
        body?: { error?: { message?: string; code?: string | null; type?: string } };
      } | null;
      error: { code: string; message: string } | null;
    };
    const bodyError = parsed.response?.body?.error;
    const error = parsed.error ?? {
      message: bodyError?.message ?? 'The request failed.',
      code: bodyError?.code ?? bodyError?.type ?? 'request_failed',
    };
    yield JSON.stringify({ custom_id: parsed.custom_id, error });
  }
}

const uploadFile = async (
  ctx: SimContext,
  req: IncomingMessage,
  now: number,
  dialect: OpenAIDialect,
): Promise<FileRecord> => {
  const boundary = multipartBoundary(req.headers['content-type']);
  // Multipart framing adds a little on top of the file itself.
  const { body } = await readBody(req, ctx.limits.openaiMaxUploadBytes + 64 * 1024);
  if (body === null) {
    throw new SimHttpError(413, 'invalid_request_error', 'File is larger than the upload limit.');
  }
  if (boundary === null) throw invalid('Expected a multipart/form-data body.');
  let fields: ReturnType<typeof parseMultipart>;
  try {
    fields = parseMultipart(body, boundary);
  } catch (error) {
    throw invalid(`Malformed multipart body: ${(error as Error).message}`);
  }
  const filePart = fields.find((part) => part.name === 'file');
  const purpose = fields.find((part) => part.name === 'purpose')?.data.toString('utf8');
  if (filePart === undefined) throw invalid("Missing required parameter: 'file'.", 'file');
  if (purpose === undefined) throw invalid("Missing required parameter: 'purpose'.", 'purpose');
  // Together's batch inputs have their own purpose, and OpenAI's `batch` is not one of its.
  const purposes = dialect.togetherObjects
    ? ['batch-api', 'fine-tune', 'eval']
    : (FILE_PURPOSES as readonly string[]);
  if (!purposes.includes(purpose)) {
    throw invalid(`Invalid value for 'purpose': '${purpose}'.`, 'purpose');
  }
  const filename = filePart.filename ?? 'upload';
  if (purpose === dialect.batchPurpose && !filename.endsWith('.jsonl')) {
    throw invalid('Invalid file format for Batch API. Must be .jsonl', 'file');
  }
  const seconds = fields.find((part) => part.name === 'expires_after[seconds]');
  const expiresAfterMs =
    seconds !== undefined
      ? Number(seconds.data.toString('utf8')) * 1000
      : purpose === dialect.batchPurpose
        ? 30 * DAY_MS
        : null;
  const seq = ctx.store.nextSeq();
  const record: FileRecord = {
    ...(dialect.id === 'openai' ? {} : { dialect: dialect.id }),
    id: ctx.newId('file-', 22, seq),
    seq,
    createdAt: now,
    filename,
    purpose,
    bytes: filePart.data.length,
    expiresAt: expiresAfterMs === null ? null : now + expiresAfterMs,
    deleted: false,
    source: { kind: 'upload' },
    downloads: 0,
  };
  // Copy: the part is a view into the whole request body, which would otherwise stay alive.
  ctx.store.saveFile(record, Buffer.from(filePart.data));
  return record;
};

const parseLimit = (url: URL, max: number, fallback: number): number => {
  const text = url.searchParams.get('limit');
  const limit = text === null ? fallback : Number(text);
  if (!Number.isInteger(limit) || limit < 1 || limit > max) {
    throw invalid(`Invalid 'limit': must be an integer from 1 to ${max}.`, 'limit');
  }
  return limit;
};

/** Cursor pagination: records after the `after` id in the listing order. */
const page = <T extends { id: string }>(
  items: T[],
  after: string | null,
  limit: number,
): { data: T[]; hasMore: boolean } => {
  let start = 0;
  if (after !== null) {
    const index = items.findIndex((item) => item.id === after);
    if (index < 0) throw invalid(`Unknown cursor '${after}'.`, 'after');
    start = index + 1;
  }
  const data = items.slice(start, start + limit);
  return { data, hasMore: start + limit < items.length };
};

const listFiles = (ctx: SimContext, url: URL, dialect: OpenAIDialect): Record<string, unknown> => {
  const purpose = url.searchParams.get('purpose');
  const order = url.searchParams.get('order') ?? 'desc';
  if (order !== 'asc' && order !== 'desc') throw invalid("Invalid 'order'.", 'order');
  const limit = parseLimit(url, 10_000, 10_000);
  const files = [...ctx.store.files.values()]
    .filter(
      (file) =>
        !file.deleted && ownedBy(file, dialect) && (purpose === null || file.purpose === purpose),
    )
    .sort((a, b) => (order === 'asc' ? a.seq - b.seq : b.seq - a.seq));
  const { data, hasMore } = page(files, url.searchParams.get('after'), limit);
  return {
    object: 'list',
    data: data.map(fileView),
    first_id: data[0]?.id ?? null,
    last_id: data.at(-1)?.id ?? null,
    has_more: hasMore,
  };
};

const handleBatches: ResourceRoute = async (call) => {
  const { ctx, req, res, url, parts, method, now, headers, dialect } = call;
  const id = parts[2];
  const view = (record: OpenAIBatchRecord) => batchView(ctx, record, now, dialect);
  if (id === undefined) {
    if (method === 'POST') {
      const record = await createBatch(ctx, req, now, dialect);
      // Together wraps the created batch: `{"job": {...}}`.
      sendJson(res, 200, dialect.togetherObjects ? { job: view(record) } : view(record), headers);
      return;
    }
    if (method === 'GET') {
      const limit = parseLimit(url, 100, 20);
      const all = [...ctx.store.openaiBatches.values()]
        .filter((record) => ownedBy(record, dialect))
        .sort((a, b) => b.seq - a.seq);
      const { data, hasMore } = page(all, url.searchParams.get('after'), limit);
      sendJson(
        res,
        200,
        {
          object: 'list',
          data: data.map(view),
          first_id: data[0]?.id ?? null,
          last_id: data.at(-1)?.id ?? null,
          has_more: hasMore,
        },
        headers,
      );
      return;
    }
    throw invalid('Method not allowed for this path.');
  }
  const record = ctx.store.openaiBatches.get(id);
  if (record === undefined || !ownedBy(record, dialect)) {
    throw notFound(`No batch found with id '${id}'.`);
  }
  const action = parts[3];
  if (action === undefined && method === 'GET') {
    sendJson(res, 200, view(record), headers);
  } else if (action === 'cancel' && method === 'POST') {
    const status = openaiTimeline(record, now).status;
    if (status !== 'validating' && status !== 'in_progress' && status !== 'finalizing') {
      if (status === 'cancelling') {
        sendJson(res, 200, view(record), headers);
        return;
      }
      throw invalid(`Cannot cancel a batch with status '${status}'.`);
    }
    record.cancelAt = now;
    ctx.store.saveOpenAI(record);
    sendJson(res, 200, view(record), headers);
  } else {
    throw invalid('Method not allowed for this path.');
  }
};

const checkMetadata = (value: unknown): Record<string, string> | null => {
  if (value === undefined || value === null) return null;
  if (!isRecord(value))
    throw invalid("Invalid type for 'metadata': expected an object.", 'metadata');
  const entries = Object.entries(value);
  if (entries.length > 16) throw invalid('metadata: at most 16 key-value pairs.', 'metadata');
  const out: Record<string, string> = {};
  for (const [key, item] of entries) {
    if (typeof item !== 'string' || key.length > 64 || item.length > 512) {
      throw invalid(
        'metadata: keys are strings of at most 64 characters and values strings of at most 512.',
        'metadata',
      );
    }
    out[key] = item;
  }
  return out;
};

const createBatch = async (
  ctx: SimContext,
  req: IncomingMessage,
  now: number,
  dialect: OpenAIDialect,
): Promise<OpenAIBatchRecord> => {
  const { body } = await readBody(req, 1024 * 1024);
  if (body === null) throw new SimHttpError(413, 'invalid_request_error', 'Request too large.');
  const parsed = parseJsonBody(body);
  if (!isRecord(parsed)) throw invalid('The request body must be a JSON object.');
  const { input_file_id: inputFileId, endpoint, completion_window: window } = parsed;
  if (typeof inputFileId !== 'string') {
    throw invalid("Missing required parameter: 'input_file_id'.", 'input_file_id');
  }
  if (typeof endpoint !== 'string' || !dialect.endpoints.includes(endpoint)) {
    throw invalid(
      `Invalid value for 'endpoint': supported values are ${dialect.endpoints.join(', ')}.`,
      'endpoint',
    );
  }
  if (typeof window !== 'string' || !dialect.windows.includes(window)) {
    throw invalid(
      dialect.windows.length === 1
        ? `Invalid value for 'completion_window': only '${dialect.windows[0]}' is supported.`
        : `Invalid value for 'completion_window': use one of ${dialect.windows.join(', ')}.`,
      'completion_window',
    );
  }
  const metadata = checkMetadata(parsed.metadata);
  const file = ctx.store.files.get(inputFileId);
  if (file === undefined || file.deleted || !ownedBy(file, dialect)) {
    throw notFound(`No such File object: ${inputFileId}`);
  }
  if (file.purpose !== dialect.batchPurpose) {
    throw invalid(
      `File ${inputFileId} has purpose '${file.purpose}'; batches need '${dialect.batchPurpose}'.`,
      'input_file_id',
    );
  }
  const perBatch = readFaultsOr(
    () => mergeFaults(faultsFromMetadata(metadata), parseFaultsHeader(req.headers['x-sim-faults'])),
    (message) => invalid(message, 'metadata'),
  );
  const faults = ctx.batchFaults(perBatch);
  const input = validateOpenAIInput(
    ctx.store.uploadContent(file.id) ?? Buffer.alloc(0),
    endpoint,
    {
      maxRequests: Math.min(dialect.maxRequests, ctx.limits.openaiMaxRequests),
      maxBytes: Math.min(dialect.maxFileBytes, ctx.limits.openaiMaxFileBytes),
    },
    {
      linesHaveUrl: dialect.linesHaveUrl,
      maxCustomIdLength: dialect.maxCustomIdLength,
      deployments: dialect.azure ? AZURE_DEPLOYMENTS : null,
    },
  );
  // The simulated clock's day stands for 24 h; longer windows (Groq) last that many days.
  const windowSpanMs = (ctx.expiryMs * windowMs(window)) / DAY_MS;
  const processingMs = faults.processingMs ?? ctx.processingMs;
  const seq = ctx.store.nextSeq();
  const record: OpenAIBatchRecord = {
    ...(dialect.id === 'openai' ? {} : { dialect: dialect.id }),
    id: ctx.newId('batch_', 24, seq),
    seq,
    createdAt: now,
    processingMs,
    expiresAt:
      faults.expireAtFraction === undefined
        ? now + windowSpanMs
        : now + processingMs * (0.1 + 0.8 * faults.expireAtFraction),
    cancelAt: null,
    endpoint,
    inputFileId,
    completionWindow: window,
    metadata,
    faults,
    model: input.model,
    requests:
      input.errors.length > 0
        ? []
        : input.requests.map((request) => ({
            custom_id: request.custom_id,
            body: withDeployedModel(request.body, dialect),
          })),
    validationErrors: input.errors,
    outputFileId: null,
    errorFileId: null,
    finalized: false,
  };
  ctx.store.saveOpenAI(record);
  return record;
};

export { handleOpenAI };
