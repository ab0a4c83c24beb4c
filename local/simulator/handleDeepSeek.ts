import { defaultPriceTable } from '../../shared/domain/pricing/defaultPriceTable.js';
import { estimateTokens, fakeText, outputTokensFor } from './estimateTokens.js';
import { isRecord, parseJsonBody, readBody, SimHttpError, sendJson } from './httpIo.js';
import type { SimRoute } from './SimContext.js';
import { createRng, hashId } from './seededRandom.js';

/** Where DeepSeek lives on the simulator's one port: its base URL is `<url>/deepseek`. */
const DEEPSEEK_PREFIX = '/deepseek';

/**
 * DeepSeek's prices per million tokens at peak (hit, miss, output), USD; off-peak is half.
 * Kept here apart from batchlane's price table, so a test comparing the two checks something.
 */
const PEAK_PRICES: Readonly<Record<string, readonly [number, number, number]>> = {
  'deepseek-flash': [0.006, 0.3, 1.2],
  // Retired name, served by V4.1-Flash at its price.
  'deepseek-v4-flash': [0.006, 0.3, 1.2],
  'deepseek-v4-pro': [0.044, 1.32, 3.96],
};

/**
 * China's statutory holidays the Chinese pricing page makes off-peak (Beijing dates): the
 * dates batchlane's price table records from the State Council's announcements, one list to
 * keep up to date. Which hours are peak is the simulator's own reading (below), so a test
 * comparing the two still checks batchlane's calendar.
 */
const HOLIDAYS: readonly string[] = (defaultPriceTable.off_peak['deepseek'] ?? []).flatMap(
  (schedule) => schedule.all_day_dates,
);

const BEIJING_MS = 8 * 3_600_000;

/**
 * DeepSeek's billing hour since 2026-08-23, from its own statement: peak 01:00-04:00 and
 * 06:00-10:00 UTC, Monday to Friday in Beijing time, holidays excluded.
 */
const isPeak = (epochMs: number): boolean => {
  const beijing = new Date(epochMs + BEIJING_MS);
  const weekday = beijing.getUTCDay();
  if (weekday === 0 || weekday === 6) return false;
  if (HOLIDAYS.includes(beijing.toISOString().slice(0, 10))) return false;
  const hour = new Date(epochMs).getUTCHours();
  return (hour >= 1 && hour < 4) || (hour >= 6 && hour < 10);
};

/** DeepSeek's context caching works on whole 64-token units of a prompt seen before. */
const CACHE_UNIT = 64;

/** What the simulated account was billed, as DeepSeek's usage page would show it. */
interface DeepSeekLedger {
  calls: number;
  peakCalls: number;
  offPeakCalls: number;
  /** Nano-USD billed, exact. */
  billedNanoUsd: number;
  /** Prompts seen before: their cached prefix is billed at the cache-hit price. */
  readonly seenPrompts: Set<string>;
}

const ledgers = new WeakMap<object, DeepSeekLedger>();
const ledgerOf = (key: object): DeepSeekLedger => {
  let ledger = ledgers.get(key);
  if (ledger === undefined) {
    ledger = { calls: 0, peakCalls: 0, offPeakCalls: 0, billedNanoUsd: 0, seenPrompts: new Set() };
    ledgers.set(key, ledger);
  }
  return ledger;
};

/** The account's opening balance; `/user/balance` shows it less what was billed. */
const OPENING_BALANCE_USD = 100;

const invalid = (message: string): SimHttpError =>
  new SimHttpError(400, 'invalid_request_error', message, { code: 'invalid_request_error' });

const chat = (
  ctx: Parameters<SimRoute>[0],
  body: Record<string, unknown>,
  ledger: DeepSeekLedger,
): Record<string, unknown> => {
  const model = body.model;
  if (typeof model !== 'string' || model.length === 0) throw invalid('Model Not Exist');
  const prices = PEAK_PRICES[model];
  if (prices === undefined) throw invalid('Model Not Exist');
  if (!Array.isArray(body.messages) || body.messages.length === 0) {
    throw new SimHttpError(
      422,
      'invalid_request_error',
      'Failed to deserialize the JSON body into the target type: missing field `messages`',
    );
  }
  if (body.stream === true) {
    throw invalid('Streaming is not supported by this simulator (batchlane never streams).');
  }
  const now = ctx.clock.now();
  const key = JSON.stringify(body.messages);
  const rng = createRng(ctx.seed, 'deepseek', key, ledger.calls);
  const prompt = estimateTokens(body.messages) + 4 * body.messages.length;
  const hit = ledger.seenPrompts.has(key) ? Math.floor(prompt / CACHE_UNIT) * CACHE_UNIT : 0;
  ledger.seenPrompts.add(key);
  const limit = typeof body.max_tokens === 'number' ? body.max_tokens : null;
  const wanted = outputTokensFor(rng, prompt);
  const completion = limit === null ? wanted : Math.min(wanted, limit);
  const peak = isPeak(now);
  const [hitPrice, missPrice, outPrice] = prices;
  const factor = peak ? 1 : 0.5;
  // Nano-USD: tokens × USD per million × 1000, rounded once.
  ledger.billedNanoUsd += Math.round(
    (hit * hitPrice + (prompt - hit) * missPrice + completion * outPrice) * factor * 1000,
  );
  ledger.calls += 1;
  if (peak) ledger.peakCalls += 1;
  else ledger.offPeakCalls += 1;
  return {
    id: hashId(36, ctx.seed, 'deepseek-id', key, ledger.calls),
    object: 'chat.completion',
    created: Math.floor(now / 1000),
    model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: fakeText(rng, completion) },
        logprobs: null,
        finish_reason: limit !== null && wanted > limit ? 'length' : 'stop',
      },
    ],
    usage: {
      prompt_tokens: prompt,
      completion_tokens: completion,
      total_tokens: prompt + completion,
      prompt_tokens_details: { cached_tokens: hit },
      prompt_cache_hit_tokens: hit,
      prompt_cache_miss_tokens: prompt - hit,
    },
    system_fingerprint: 'fp_simulated',
  };
};

/**
 * DeepSeek's API under `/deepseek`: `POST /chat/completions` (also under `/v1`), non-streaming,
 * billed at the peak or off-peak price of the simulated hour it is served in, `GET /models`,
 * and `GET /user/balance` showing what was billed. False when the path is not DeepSeek's.
 */
const handleDeepSeek: SimRoute = async (ctx, req, res, url, headers) => {
  if (!url.pathname.startsWith(`${DEEPSEEK_PREFIX}/`)) return false;
  const path = url.pathname.slice(DEEPSEEK_PREFIX.length).replace(/^\/v1\//, '/');
  const ledger = ledgerOf(ctx.store);
  if (path === '/chat/completions' && req.method === 'POST') {
    const { body: raw } = await readBody(req, 32 * 1000 * 1000);
    if (raw === null) throw new SimHttpError(413, 'invalid_request_error', 'Request too large.');
    const body = parseJsonBody(raw);
    if (!isRecord(body)) throw invalid('The request body must be a JSON object.');
    sendJson(res, 200, chat(ctx, body, ledger), headers);
    return true;
  }
  if (path === '/models' && req.method === 'GET') {
    sendJson(
      res,
      200,
      {
        object: 'list',
        data: Object.keys(PEAK_PRICES).map((id) => ({ id, object: 'model', owned_by: 'deepseek' })),
      },
      headers,
    );
    return true;
  }
  if (path === '/user/balance' && req.method === 'GET') {
    const balance = (OPENING_BALANCE_USD * 1e9 - ledger.billedNanoUsd) / 1e9;
    sendJson(
      res,
      200,
      {
        is_available: balance > 0,
        balance_infos: [
          {
            currency: 'USD',
            total_balance: balance.toFixed(2),
            granted_balance: '0.00',
            topped_up_balance: balance.toFixed(2),
          },
        ],
      },
      headers,
    );
    return true;
  }
  throw new SimHttpError(
    404,
    'invalid_request_error',
    `Unknown path ${req.method} ${url.pathname}`,
  );
};

/** What the simulated DeepSeek account was billed, for tests and the demo's summary. */
const deepseekStats = (ctx: Parameters<SimRoute>[0]) => {
  const { calls, peakCalls, offPeakCalls, billedNanoUsd } = ledgerOf(ctx.store);
  return { calls, peakCalls, offPeakCalls, billedNanoUsd };
};

export { DEEPSEEK_PREFIX, deepseekStats, handleDeepSeek, isPeak };
