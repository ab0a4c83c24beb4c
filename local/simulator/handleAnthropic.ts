import type { IncomingMessage } from 'node:http';
import {
  anthropicArchivedAt,
  anthropicBatchView,
  anthropicEndedAt,
  anthropicResultLines,
} from './anthropicBatchView.js';
import { handleRealtimeAnthropic } from './handleRealtimeAnthropic.js';
import { isRecord, parseJsonBody, readBody, SimHttpError, sendJson } from './httpIo.js';
import type { SimContext, SimRoute } from './SimContext.js';
import { parseFaultsHeader, readFaultsOr } from './SimulatorFaults.js';
import type { AnthropicBatchRecord } from './SimulatorStore.js';
import { streamResultLines } from './streamResultLines.js';

const API_VERSIONS = ['2023-06-01', '2026-10-21'] as const;
const CUSTOM_ID = /^[a-zA-Z0-9_-]{1,64}$/;

/**
 * Anthropic Message Batches: `/v1/messages/batches[/{id}[/cancel|/results]]`, and the
 * synchronous `POST /v1/messages` (see handleRealtimeAnthropic.ts).
 * Returns false when the path is not one of these routes.
 */
const handleAnthropic: SimRoute = async (ctx, req, res, url, headers) => {
  const parts = url.pathname.split('/').filter((p) => p.length > 0);
  if (parts[0] !== 'v1' || parts[1] !== 'messages') return false;
  if (parts.length === 2) {
    await handleRealtimeAnthropic(ctx, req, res, checkVersion(req), headers);
    return true;
  }
  if (parts[2] !== 'batches') return false;
  if (parts.length > 5) return false;
  const apiVersion = checkVersion(req);
  const method = req.method ?? 'GET';
  const now = ctx.clock.now();
  const origin = `http://${req.headers.host ?? '127.0.0.1'}`;
  const id = parts[3];
  const action = parts[4];

  if (id === undefined) {
    if (method === 'POST') {
      const record = await createBatch(ctx, req, apiVersion, now);
      sendJson(res, 200, anthropicBatchView(ctx, record, now, origin), headers);
      return true;
    }
    if (method === 'GET') {
      sendJson(res, 200, listBatches(ctx, url, now, origin), headers);
      return true;
    }
    throw methodNotAllowed();
  }
  const record = ctx.store.anthropicBatches.get(id);
  if (record === undefined || record.deleted) {
    throw new SimHttpError(404, 'not_found_error', `No message batch found with id ${id}`);
  }
  const ended = now >= anthropicEndedAt(ctx, record);
  if (action === undefined && method === 'GET') {
    sendJson(res, 200, anthropicBatchView(ctx, record, now, origin), headers);
  } else if (action === undefined && method === 'DELETE') {
    if (!ended) {
      throw new SimHttpError(
        400,
        'invalid_request_error',
        `Batch ${id} cannot be deleted while it is still processing; cancel it first.`,
      );
    }
    record.deleted = true;
    ctx.store.saveAnthropic(record);
    sendJson(res, 200, { id, type: 'message_batch_deleted' }, headers);
  } else if (action === 'cancel' && method === 'POST') {
    if (ended) {
      throw new SimHttpError(400, 'invalid_request_error', `Batch ${id} has already ended.`);
    }
    if (record.cancelAt === null) {
      record.cancelAt = now;
      ctx.store.saveAnthropic(record);
    }
    sendJson(res, 200, anthropicBatchView(ctx, record, now, origin), headers);
  } else if (action === 'results' && method === 'GET') {
    if (!ended) {
      throw new SimHttpError(
        400,
        'invalid_request_error',
        `Batch ${id} is still processing; results are available once it has ended.`,
      );
    }
    if (now >= anthropicArchivedAt(ctx, record)) {
      throw new SimHttpError(404, 'not_found_error', `Results of batch ${id} have been archived.`);
    }
    record.downloads += 1;
    // Rewriting a large record on every download only matters for truncation, so only then.
    if (record.faults.truncateResults !== undefined) ctx.store.saveAnthropic(record);
    await streamResultLines(
      res,
      anthropicResultLines(ctx, record, now),
      record.faults,
      record.downloads,
      headers,
    );
  } else {
    throw methodNotAllowed();
  }
  return true;
};

const methodNotAllowed = (): SimHttpError =>
  new SimHttpError(405, 'invalid_request_error', 'Method not allowed for this path.');

const checkVersion = (req: IncomingMessage): string => {
  const version = req.headers['anthropic-version'];
  if (typeof version !== 'string' || version.length === 0) {
    throw new SimHttpError(400, 'invalid_request_error', 'anthropic-version: header is required');
  }
  if (!(API_VERSIONS as readonly string[]).includes(version)) {
    throw new SimHttpError(
      400,
      'invalid_request_error',
      `anthropic-version: invalid version ${version}; use one of ${API_VERSIONS.join(', ')}`,
    );
  }
  return version;
};

const createBatch = async (
  ctx: SimContext,
  req: IncomingMessage,
  apiVersion: string,
  now: number,
): Promise<AnthropicBatchRecord> => {
  const { body } = await readBody(req, ctx.limits.anthropicMaxBodyBytes);
  if (body === null) {
    throw new SimHttpError(413, 'request_too_large', 'Request exceeds the maximum allowed size.');
  }
  const perBatch = readFaultsOr(
    () => parseFaultsHeader(req.headers['x-sim-faults']),
    (message) => new SimHttpError(400, 'invalid_request_error', message),
  );
  const parsed = parseJsonBody(body);
  if (!isRecord(parsed) || !Array.isArray(parsed.requests)) {
    throw new SimHttpError(400, 'invalid_request_error', 'requests: Field required');
  }
  const requests = parsed.requests;
  if (requests.length === 0) {
    throw new SimHttpError(
      400,
      'invalid_request_error',
      'requests: List should have at least 1 item',
    );
  }
  if (requests.length > ctx.limits.anthropicMaxRequests) {
    throw new SimHttpError(
      413,
      'request_too_large',
      `requests: a batch holds at most ${ctx.limits.anthropicMaxRequests} requests, got ${requests.length}`,
    );
  }
  const seen = new Set<string>();
  const stored: { custom_id: string; params: unknown }[] = [];
  for (const [i, request] of requests.entries()) {
    if (!isRecord(request)) {
      throw new SimHttpError(
        400,
        'invalid_request_error',
        `requests.${i}: Input should be an object`,
      );
    }
    const customId = request.custom_id;
    if (typeof customId !== 'string' || !CUSTOM_ID.test(customId)) {
      throw new SimHttpError(
        400,
        'invalid_request_error',
        `requests.${i}.custom_id: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'`,
      );
    }
    if (seen.has(customId)) {
      throw new SimHttpError(
        400,
        'invalid_request_error',
        `requests.${i}.custom_id: Duplicate custom_id '${customId}'; custom_id values must be unique within a batch.`,
      );
    }
    seen.add(customId);
    if (!isRecord(request.params)) {
      throw new SimHttpError(400, 'invalid_request_error', `requests.${i}.params: Field required`);
    }
    if (request.params.stream === true) {
      throw new SimHttpError(
        400,
        'invalid_request_error',
        `requests.${i}.params.stream: streaming is not supported in batches`,
      );
    }
    stored.push({ custom_id: customId, params: request.params });
  }
  const faults = ctx.batchFaults(perBatch);
  const processingMs = faults.processingMs ?? ctx.processingMs;
  const expiresAt =
    faults.expireAtFraction === undefined
      ? now + ctx.expiryMs
      : now + processingMs * faults.expireAtFraction;
  const seq = ctx.store.nextSeq();
  const record: AnthropicBatchRecord = {
    id: ctx.newId('msgbatch_', 24, seq),
    seq,
    createdAt: now,
    processingMs,
    expiresAt,
    cancelAt: null,
    deleted: false,
    apiVersion,
    faults,
    requests: stored,
    downloads: 0,
  };
  ctx.store.saveAnthropic(record);
  return record;
};

/** Newest first; `after_id` pages towards older batches, `before_id` towards newer ones. */
const listBatches = (
  ctx: SimContext,
  url: URL,
  now: number,
  origin: string,
): Record<string, unknown> => {
  const limitText = url.searchParams.get('limit');
  const limit = limitText === null ? 20 : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new SimHttpError(
      400,
      'invalid_request_error',
      'limit: must be an integer from 1 to 1000',
    );
  }
  const afterId = url.searchParams.get('after_id');
  const beforeId = url.searchParams.get('before_id');
  if (afterId !== null && beforeId !== null) {
    throw new SimHttpError(400, 'invalid_request_error', 'Use only one of after_id and before_id.');
  }
  const all = [...ctx.store.anthropicBatches.values()].sort((a, b) => b.seq - a.seq);
  const cursorSeq = (cursor: string): number => {
    const found = ctx.store.anthropicBatches.get(cursor);
    if (found === undefined) {
      throw new SimHttpError(400, 'invalid_request_error', `Unknown cursor ${cursor}`);
    }
    return found.seq;
  };
  const live = all.filter((record) => !record.deleted);
  let page: AnthropicBatchRecord[];
  let hasMore: boolean;
  if (beforeId !== null) {
    const seq = cursorSeq(beforeId);
    const newer = live.filter((record) => record.seq > seq);
    page = newer.slice(Math.max(0, newer.length - limit));
    hasMore = newer.length > limit;
  } else {
    const seq = afterId === null ? Infinity : cursorSeq(afterId);
    const older = live.filter((record) => record.seq < seq);
    page = older.slice(0, limit);
    hasMore = older.length > limit;
  }
  return {
    data: page.map((record) => anthropicBatchView(ctx, record, now, origin)),
    has_more: hasMore,
    first_id: page[0]?.id ?? null,
    last_id: page.at(-1)?.id ?? null,
  };
};

export { handleAnthropic };
