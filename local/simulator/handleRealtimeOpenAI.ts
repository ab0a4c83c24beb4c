import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  fakeOpenAIBody,
  type ModelServer,
  type OpenAIBodyResult,
  openaiBodyError,
} from './fakeOpenAIBody.js';
import { realtimeFaultsOf, waitBeforeAnswer } from './handleRealtimeAnthropic.js';
import { isRecord, parseJsonBody, readBody, SimHttpError, sendJson } from './httpIo.js';
import type { SimContext } from './SimContext.js';
import type { RealtimeFaults } from './SimulatorFaults.js';
import { hashUnit } from './seededRandom.js';

/** Synchronous endpoints served, the same three batchlane sends batches to. */
const REALTIME_ENDPOINTS: readonly string[] = [
  '/v1/chat/completions',
  '/v1/responses',
  '/v1/embeddings',
];

/** Embeddings take no `service_tier`: they are always served at the default tier. */
const EMBEDDINGS = '/v1/embeddings';

/** Request values of `service_tier` (Node SDK 6.x). */
const SERVICE_TIERS: readonly unknown[] = ['auto', 'default', 'flex', 'scale', 'priority'];

/** No single real request is this large; a cap keeps a runaway client from filling memory. */
const MAX_BODY_BYTES = 32 * 1000 * 1000;

/** See `SYNC_KEY` in handleRealtimeAnthropic.ts: same params, same body, for a seed. */
const SYNC_KEY = 'sync';

const invalid = (message: string, param: string | null = null): SimHttpError =>
  new SimHttpError(400, 'invalid_request_error', message, { param });

/** The HTTP error an endpoint answers for a body it refuses. */
const asHttpError = (refusal: OpenAIBodyResult): SimHttpError => {
  // Only the success variant carries usage; the type of openaiBodyError cannot say so.
  if (refusal.usage !== null) {
    return new SimHttpError(500, 'server_error', 'Internal simulator error: not a refusal');
  }
  const { message, type, code, param } = refusal.body.error;
  return new SimHttpError(refusal.status, type, message, { code, param });
};

/**
 * Whether this flex request is refused for lack of capacity. Seeded by the request id (itself
 * derived from the seed and the request's position), and only while the client's own retry
 * count is below `flexUnavailableMaxPerRequest`, so a burst of refusals can end in service.
 */
const flexUnavailable = (
  seed: number,
  faults: RealtimeFaults,
  req: IncomingMessage,
  requestId: string,
): boolean => {
  const rate = faults.flexUnavailableRate ?? 0;
  if (rate <= 0) return false;
  const retryCount = Number(req.headers['x-stainless-retry-count'] ?? 0);
  const maxPerRequest = faults.flexUnavailableMaxPerRequest;
  if (maxPerRequest !== undefined && retryCount >= maxPerRequest) return false;
  return hashUnit(seed, 'flex-unavailable', requestId) < rate;
};

/**
 * Synchronous OpenAI `POST /v1/chat/completions`, `/v1/responses` and `/v1/embeddings`
 * (non-streaming). The body is checked as a batch line's body would be, but a problem is an
 * HTTP error here; the answer is the body a batch line would get for the same params.
 * `service_tier` is echoed as the tier actually used: `flex` when flex was asked for and
 * granted, `default` otherwise (`auto`, `default`, `scale` and `priority` are all served at
 * the default tier). Returns false when the path is not one of these endpoints.
 */
const handleRealtimeOpenAI = async (
  ctx: SimContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  headers: Record<string, string>,
  /** OpenAI, or the OpenAI-compatible provider answering (its models). */
  provider: ModelServer = 'openai',
): Promise<boolean> => {
  const endpoint = url.pathname.replace(/\/+$/, '');
  if (!REALTIME_ENDPOINTS.includes(endpoint)) return false;
  if (req.method !== 'POST') {
    throw new SimHttpError(405, 'invalid_request_error', 'Method not allowed for this path.');
  }
  const faults = realtimeFaultsOf(ctx, req);
  const { body: raw } = await readBody(req, MAX_BODY_BYTES);
  if (raw === null) throw new SimHttpError(413, 'invalid_request_error', 'Request too large.');
  const body = parseJsonBody(raw);
  if (!isRecord(body)) throw invalid('The request body must be a JSON object.');
  if (body.stream === true) {
    throw invalid(
      'Streaming is not supported by this simulator (batchlane never streams).',
      'stream',
    );
  }
  const { service_tier: tier, ...params } = body;
  const tiered = endpoint !== EMBEDDINGS;
  if (tiered && tier !== undefined && tier !== null && !SERVICE_TIERS.includes(tier)) {
    throw invalid(
      `Invalid value for 'service_tier': expected one of ${SERVICE_TIERS.join(', ')}.`,
      'service_tier',
    );
  }
  const problem = openaiBodyError(endpoint, params, provider);
  if (problem !== null) throw asHttpError(problem);
  const flex = tiered && tier === 'flex';
  const requestId = headers['x-request-id'] ?? '';
  if (flex && flexUnavailable(ctx.seed, faults, req, requestId)) {
    const retryAfterMs = faults.flexRetryAfterMs ?? 20;
    Object.assign(headers, {
      'retry-after-ms': String(retryAfterMs),
      'retry-after': String(Math.ceil(retryAfterMs / 1000)),
    });
    throw new SimHttpError(
      429,
      'rate_limit_error',
      "Resource unavailable: flex capacity is exhausted right now (simulated). Retry later, or send the request without service_tier 'flex'.",
      { code: 'resource_unavailable' },
    );
  }
  await waitBeforeAnswer(res, faults.realtimeLatencyMs ?? 0);
  if (res.destroyed) return true;
  // The tier is left out of the content key, so flex and default answers say the same thing.
  const result = fakeOpenAIBody(
    ctx.seed,
    endpoint,
    SYNC_KEY,
    params,
    Math.floor(ctx.clock.now() / 1000),
    provider,
  );
  if (result.usage === null) throw asHttpError(result);
  if (!tiered) {
    sendJson(res, 200, result.body, headers);
    return true;
  }
  const downgraded =
    flex && hashUnit(ctx.seed, 'flex-downgrade', requestId) < (faults.flexDowngradeRate ?? 0);
  const served = flex && !downgraded ? 'flex' : 'default';
  sendJson(res, 200, { ...result.body, service_tier: served }, headers);
  return true;
};

export { handleRealtimeOpenAI };
