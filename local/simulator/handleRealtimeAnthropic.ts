import type { IncomingMessage, ServerResponse } from 'node:http';
import { fakeAnthropicMessage } from './fakeAnthropicMessage.js';
import { isRecord, parseJsonBody, readBody, SimHttpError, sendJson } from './httpIo.js';
import type { SimContext } from './SimContext.js';
import { type RealtimeFaults, readFaultsOr, realtimeFaultsFor } from './SimulatorFaults.js';
import { validateAnthropicParams } from './validateAnthropicParams.js';

/** The Messages API's request size limit. */
const MAX_BODY_BYTES = 32 * 1000 * 1000;

/**
 * Parameters `validateAnthropicParams` refuses because batches do not take them; a
 * synchronous request may send them.
 */
const BATCH_ONLY_PARAMS = ['speed', 'store', 'cache_hint', 'context_hint'] as const;

/** Request values of `service_tier` on the Messages API. */
const SERVICE_TIERS: readonly unknown[] = ['auto', 'standard_only'];

/**
 * Key of the seeded content of a synchronous message: identical params give an identical
 * message (id included) for a given seed, whatever the order of calls.
 */
const SYNC_KEY = 'sync';

const invalid = (message: string): SimHttpError =>
  new SimHttpError(400, 'invalid_request_error', message);

/** Waits `ms` before answering, unless the client goes away first (its timeout, a cancel). */
const waitBeforeAnswer = (res: ServerResponse, ms: number): Promise<void> => {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      res.off('close', onClose);
      resolve();
    }, ms);
    const onClose = (): void => {
      clearTimeout(timer);
      resolve();
    };
    res.once('close', onClose);
  });
};

/** The realtime faults of this request; a malformed `x-sim-faults` header is a 400. */
const realtimeFaultsOf = (ctx: SimContext, req: IncomingMessage): RealtimeFaults =>
  readFaultsOr(() => realtimeFaultsFor(ctx.faults, req.headers['x-sim-faults']), invalid);

/**
 * Synchronous `POST /v1/messages` (non-streaming). Params are checked as in a batch, but a
 * problem is an HTTP error here (400 `invalid_request_error`, 404 `not_found_error` for an
 * unknown model) instead of an `errored` result line. The message is the one a batch would
 * return for the same params, with `usage.service_tier: "standard"`. `apiVersion` has been
 * checked by the caller.
 */
const handleRealtimeAnthropic = async (
  ctx: SimContext,
  req: IncomingMessage,
  res: ServerResponse,
  apiVersion: string,
  headers: Record<string, string>,
): Promise<void> => {
  if (req.method !== 'POST') {
    throw new SimHttpError(405, 'invalid_request_error', 'Method not allowed for this path.');
  }
  const faults = realtimeFaultsOf(ctx, req);
  const { body } = await readBody(req, Math.min(MAX_BODY_BYTES, ctx.limits.anthropicMaxBodyBytes));
  if (body === null) {
    throw new SimHttpError(413, 'request_too_large', 'Request exceeds the maximum allowed size.');
  }
  const params = parseJsonBody(body);
  if (!isRecord(params)) throw invalid('The request body must be a JSON object.');
  if (params.stream === true) {
    throw invalid('stream: streaming is not supported by this simulator (batchlane never streams)');
  }
  if (params.service_tier !== undefined && !SERVICE_TIERS.includes(params.service_tier)) {
    throw invalid("service_tier: Input should be 'auto' or 'standard_only'");
  }
  const checked = { ...params };
  for (const key of BATCH_ONLY_PARAMS) delete checked[key];
  const problem = validateAnthropicParams(checked, apiVersion);
  if (problem !== null) {
    // The real API answers an unknown model with 404, not 400.
    if (problem.type === 'not_found_error') {
      throw new SimHttpError(404, 'not_found_error', problem.message);
    }
    throw invalid(problem.message);
  }
  await waitBeforeAnswer(res, faults.realtimeLatencyMs ?? 0);
  if (res.destroyed) return;
  const message = fakeAnthropicMessage(ctx.seed, SYNC_KEY, params);
  const usage = isRecord(message.usage) ? message.usage : {};
  sendJson(res, 200, { ...message, usage: { ...usage, service_tier: 'standard' } }, headers);
};

export { handleRealtimeAnthropic, realtimeFaultsOf, waitBeforeAnswer };
