import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttp2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { createServer as createNetServer, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { anthropicBatchView, anthropicCounts } from './anthropicBatchView.js';
import { BedrockJobs, type BedrockSimEnvironment } from './bedrock/BedrockJobs.js';
import { handleBedrock } from './bedrock/handleBedrock.js';
import { createSimClock } from './createSimClock.js';
import { handleAnthropic } from './handleAnthropic.js';
import { deepseekStats, handleDeepSeek } from './handleDeepSeek.js';
import { geminiStats, handleGemini, isGeminiPath } from './handleGemini.js';
import {
  handleMistral,
  isMistralPath,
  MISTRAL_PREFIX,
  mistralStats,
  sendMistralError,
} from './handleMistral.js';
import { handleOpenAI } from './handleOpenAI.js';
import { drainBody, SimHttpError, sendHttpError, sendJson } from './httpIo.js';
import { finalizeOpenAIBatch, openaiBatchView } from './openaiBatchView.js';
import {
  AZURE_API_VERSIONS,
  azureNotFound,
  DIALECTS,
  dialectRouteOf,
  profileDialect,
} from './openaiDialects.js';
import { DEFAULT_LIMITS, type SimContext, type SimulatorLimits } from './SimContext.js';
import {
  batchPartOf,
  mergeFaults,
  type SimulatorFaults,
  simulatorFaultsSchema,
} from './SimulatorFaults.js';
import { SimulatorStore } from './SimulatorStore.js';
import { hashId, hashUnit } from './seededRandom.js';
import {
  type WebhookDeliveryFaults,
  WebhookEmitter,
  type WebhookStats,
  type WebhookTargets,
} from './WebhookEmitter.js';

interface SimulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Seed of every simulated decision (ids, outcomes, timings, text, faults). Default 1. */
  seed?: number;
  /** Simulated time one batch takes to process. Default 2000. */
  processingMs?: number;
  /** Simulated ms per real ms. Default 1. */
  timeScale?: number;
  /**
   * Simulated time at start (epoch ms), at or after the real time: a test starts just before
   * a DeepSeek window to watch it open. Default: now (or the last time a restart saw).
   */
  startAt?: number;
  /** Simulated time after which unfinished requests expire. Default 24 h. */
  expiryMs?: number;
  faults?: SimulatorFaults;
  /** Directory mirroring batches and files as JSON, so a restart keeps them. */
  persistDir?: string;
  /** Accepted API keys; default: any non-empty key. */
  apiKeys?: string[];
  /** Provider limits, overridable so tests can hit them with small inputs. */
  limits?: Partial<SimulatorLimits>;
  /**
   * Where Bedrock jobs read their input and write their output (an S3 endpoint, e.g. the
   * local stack's emulator) and put their state-change events (an EventBridge endpoint).
   */
  bedrock?: BedrockSimEnvironment;
  /** Where OpenAI's and Gemini's batch webhooks go (default: nowhere, as unregistered). */
  webhooks?: WebhookTargets;
  /**
   * Providers a deployment defines as profiles of its own, each served as an OpenAI-faithful
   * clone at `/profiles/<id>/v1` with the models it serves (empty: any).
   */
  profiles?: readonly { readonly id: string; readonly models: readonly string[] }[];
}

interface SimulatorStats {
  anthropic: {
    batches: Record<'in_progress' | 'canceling' | 'ended', number>;
    requests: Record<'processing' | 'succeeded' | 'errored' | 'canceled' | 'expired', number>;
  };
  openai: {
    batches: Record<string, number>;
    requests: { total: number; completed: number; failed: number };
  };
  /** Bedrock jobs per status, and their events put (and failed) on EventBridge. */
  bedrock: { jobs: Record<string, number>; events: { ok: number; failed: number } };
  gemini: {
    batches: Record<string, number>;
    requests: { total: number; succeeded: number; failed: number };
  };
  mistral: {
    jobs: Record<string, number>;
    requests: { total: number; succeeded: number; failed: number };
  };
  /** DeepSeek chat calls, by the billing hour they fell in, and what they were billed. */
  deepseek: { calls: number; peakCalls: number; offPeakCalls: number; billedNanoUsd: number };
  files: number;
  /** HTTP requests received, and how many of them got an injected error. */
  http: { requests: number; injectedErrors: number };
  /** Batches created stuck (the `stuck` and `stuckBatches` faults). */
  stuckBatches: number;
}

interface RunningSimulator {
  /** http://HOST:PORT */
  url: string;
  /** Same as `url` (the Anthropic SDK adds `/v1` itself). */
  anthropicBaseUrl: string;
  /** `url` + `/v1` (the OpenAI SDK expects it in the base URL). */
  openaiBaseUrl: string;
  /**
   * Each OpenAI-compatible provider's base URL (`together`, `groq`, `xai`: the OpenAI client's
   * `baseURL`; `azure-openai`: the `AzureOpenAI` client's `endpoint`).
   */
  profileBaseUrls: Readonly<Record<string, string>>;
  /** Same as `url`: the `endpoint` of both Bedrock clients (control plane and runtime). */
  bedrockEndpoint: string;
  /** Same as `url`: what `@google/genai`'s `httpOptions.baseUrl` takes (it adds `v1beta`). */
  geminiBaseUrl: string;
  /** `url` + `/mistral`: what `@mistralai/mistralai`'s `serverURL` takes (it adds `/v1`). */
  mistralBaseUrl: string;
  /** `url` + `/deepseek`: the `openai` SDK's base URL for DeepSeek's API. */
  deepseekBaseUrl: string;
  port: number;
  stop(): Promise<void>;
  stats(): SimulatorStats;
  /** Replaces the simulator-wide faults; batches already created keep theirs. */
  setFaults(faults: SimulatorFaults): void;
  /**
   * Registers the providers' batch webhook endpoints (as a project's dashboard or
   * WebhookService does), with delivery faults; batches that end from now on are announced.
   */
  setWebhooks(targets: WebhookTargets, faults?: WebhookDeliveryFaults): void;
  /** What the webhook emitter delivered, and when it announced each batch's end. */
  webhookStats(): WebhookStats;
}

/** A duplex stream that yields `first`, then whatever `socket` reads, and writes to it. */
const relayFrom = (socket: Socket, first: Buffer): Duplex => {
  const relay = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      socket.write(chunk, callback);
    },
    final(callback) {
      socket.end(callback);
    },
    destroy(error, callback) {
      socket.destroy(error ?? undefined);
      callback(error);
    },
  });
  relay.push(first);
  socket.on('data', (data: Buffer) => {
    if (!relay.push(data)) socket.pause();
  });
  socket.once('end', () => relay.push(null));
  socket.once('close', () => relay.destroy());
  return relay;
};

const DEFAULT_HTTP_FAULT_STATUSES = [429, 500, 503] as const;

const startSimulator = async (options: SimulatorOptions = {}): Promise<RunningSimulator> => {
  const seed = options.seed ?? 1;
  const store = new SimulatorStore(options.persistDir);
  const clock = createSimClock(
    options.timeScale ?? 1,
    Math.max(options.startAt ?? 0, store.lastSimNow) || undefined,
  );
  const apiKeys = options.apiKeys;
  const http = { requests: 0, injectedErrors: 0 };
  let stuckBatches = 0;
  const ctx: SimContext = {
    seed,
    clock,
    store,
    processingMs: options.processingMs ?? 2000,
    expiryMs: options.expiryMs ?? 24 * 3600 * 1000,
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    faults: simulatorFaultsSchema.parse(options.faults ?? {}),
    profiles: new Map(
      (options.profiles ?? []).map((profile) => [
        profile.id,
        profileDialect(profile.id, profile.models),
      ]),
    ),
    batchFaults(perBatch) {
      const faults = mergeFaults(batchPartOf(this.faults), perBatch);
      const queued = this.faults.stuckBatches ?? 0;
      if (faults.stuck !== true && queued > 0) this.faults.stuckBatches = queued - 1;
      // A stuck batch's work would take many times its expiry: nothing finishes before it is
      // cancelled or expires, and it never leaves its first status on its own.
      if (faults.stuck !== true && queued === 0) return faults;
      stuckBatches += 1;
      return { ...faults, stuck: true, processingMs: this.expiryMs * 100 };
    },
    newId: (prefix, length, seq) => `${prefix}${hashId(length, seed, 'id', prefix, seq)}`,
  };
  const bedrock = new BedrockJobs(ctx, options.bedrock ?? {});
  const webhooks = new WebhookEmitter(ctx);
  if (options.webhooks !== undefined) webhooks.setTargets(options.webhooks);

  // Known once the server listens; upload URLs and file URIs point back at it.
  let baseUrl = '';
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    http.requests += 1;
    const url = new URL(req.url ?? '/', 'http://simulator.invalid');
    // An OpenAI-compatible provider's path (`/groq/openai/v1/...`): served by the OpenAI
    // handlers with that provider's departures.
    const dialectRoute = dialectRouteOf(url.pathname, [...ctx.profiles.values()]);
    const anthropic = url.pathname.startsWith('/v1/messages');
    const gemini = isGeminiPath(url.pathname);
    const mistral = isMistralPath(url.pathname);
    const requestId = `req_${hashId(24, seed, 'request', http.requests)}`;
    const headers: Record<string, string> = anthropic
      ? { 'request-id': requestId }
      : { 'x-request-id': requestId };
    store.noteTime(clock.now());
    try {
      if (url.pathname === '/' || url.pathname === '/health') {
        sendJson(res, 200, { ok: true, stats: stats() }, headers);
        return;
      }
      // Bedrock signs with SigV4 and answers errors its own (AWS) way.
      if (await handleBedrock(ctx, bedrock, req, res, url, http.requests)) return;
      if (gemini) checkGeminiAuth(req, url, apiKeys);
      else if (dialectRoute?.dialect.azure) checkAzureAuth(req, url, apiKeys);
      else checkAuth(req, anthropic, apiKeys);
      const fault = pickHttpFault(ctx.faults, req, url, seed, http.requests);
      if (fault !== null) {
        http.injectedErrors += 1;
        await drainBody(req);
        const retryAfterMs = ctx.faults.http?.retryAfterMs ?? 20;
        Object.assign(headers, {
          'retry-after-ms': String(retryAfterMs),
          'retry-after': String(Math.ceil(retryAfterMs / 1000)),
        });
        throw gemini ? injectedGeminiError(fault) : injectedError(fault, anthropic);
      }
      const served = dialectRoute
        ? await handleOpenAI(
            ctx,
            req,
            res,
            openaiUrlOf(url, dialectRoute.openaiPath),
            headers,
            dialectRoute.dialect,
          )
        : (await handleMistral(ctx, req, res, url, headers)) ||
          (await handleGemini(ctx, req, res, url, headers, baseUrl)) ||
          (await handleDeepSeek(ctx, req, res, url, headers)) ||
          (await handleAnthropic(ctx, req, res, url, headers)) ||
          (await handleOpenAI(ctx, req, res, url, headers));
      if (!served) {
        throw new SimHttpError(
          404,
          anthropic ? 'not_found_error' : 'invalid_request_error',
          `Unknown path ${req.method} ${url.pathname}`,
        );
      }
    } catch (error) {
      if (!req.complete) await drainBody(req).catch(() => undefined);
      if (gemini) sendGeminiError(res, error, headers);
      else if (mistral) sendMistralError(res, error, headers);
      else sendError(res, error, anthropic, requestId, headers);
    }
  };

  const stats = (): SimulatorStats => {
    const now = clock.now();
    const result: SimulatorStats = {
      anthropic: {
        batches: { in_progress: 0, canceling: 0, ended: 0 },
        requests: { processing: 0, succeeded: 0, errored: 0, canceled: 0, expired: 0 },
      },
      openai: { batches: {}, requests: { total: 0, completed: 0, failed: 0 } },
      bedrock: { jobs: bedrock.statusCounts(), events: { ...bedrock.published } },
      gemini: geminiStats(ctx, now),
      mistral: mistralStats(ctx, now),
      deepseek: deepseekStats(ctx),
      files: [...store.files.values()].filter((file) => !file.deleted).length,
      http: { ...http },
      stuckBatches,
    };
    for (const record of store.anthropicBatches.values()) {
      if (record.deleted) continue;
      const view = anthropicBatchView(ctx, record, now, '');
      const status = view.processing_status as keyof SimulatorStats['anthropic']['batches'];
      result.anthropic.batches[status] += 1;
      const counts = anthropicCounts(ctx, record, now);
      for (const key of Object.keys(counts) as (keyof typeof counts)[]) {
        result.anthropic.requests[key] += counts[key];
      }
    }
    for (const record of store.openaiBatches.values()) {
      finalizeOpenAIBatch(ctx, record, now);
      const view = openaiBatchView(ctx, record, now);
      const status = String(view.status);
      result.openai.batches[status] = (result.openai.batches[status] ?? 0) + 1;
      const counts = view.request_counts as SimulatorStats['openai']['requests'];
      result.openai.requests.total += counts.total;
      result.openai.requests.completed += counts.completed;
      result.openai.requests.failed += counts.failed;
    }
    return result;
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // Only reached if writing the error itself failed (client gone); nothing left to do.
      res.destroy(error instanceof Error ? error : undefined);
    });
  });
  // Results downloads can be slow by design; do not let Node cut them off.
  server.requestTimeout = 0;
  // The Bedrock runtime client speaks HTTP/2 (cleartext, prior knowledge) to its endpoint;
  // the other SDKs HTTP/1.1. One port serves both: each connection goes to the server its
  // first bytes name (an HTTP/2 connection opens with the `PRI * HTTP/2.0` preface).
  const h2 = createHttp2Server((req, res) => {
    const request = req as unknown as IncomingMessage;
    const response = res as unknown as ServerResponse;
    handle(request, response).catch(() => {
      res.stream.destroy();
    });
  });
  const sockets = new Set<Socket>();
  const front = createNetServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.once('data', (chunk: Buffer) => {
      socket.pause();
      if (chunk.toString('latin1', 0, 3) !== 'PRI') {
        socket.unshift(chunk);
        server.emit('connection', socket);
        socket.resume();
        return;
      }
      // HTTP/2 reads the socket's handle directly, past what was already read here: it is
      // given a stream that replays the first chunk, then relays the socket both ways.
      h2.emit('connection', relayFrom(socket, chunk));
    });
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    front.once('error', reject);
    front.listen(options.port ?? 0, host, () => {
      front.off('error', reject);
      resolve();
    });
  });
  const port = (front.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const url = `http://${urlHost === '0.0.0.0' ? '127.0.0.1' : urlHost}:${port}`;
  baseUrl = url;
  return {
    url,
    anthropicBaseUrl: url,
    openaiBaseUrl: `${url}/v1`,
    profileBaseUrls: Object.fromEntries(
      [...DIALECTS, ...ctx.profiles.values()].map((dialect) => [
        dialect.id,
        // Azure's client takes the resource endpoint and adds `/openai` itself.
        dialect.azure ? `${url}${dialect.prefix}` : `${url}${dialect.prefix}${dialect.apiRoot}`,
      ]),
    ),
    bedrockEndpoint: url,
    geminiBaseUrl: url,
    mistralBaseUrl: `${url}${MISTRAL_PREFIX}`,
    deepseekBaseUrl: `${url}/deepseek`,
    port,
    stats,
    setFaults(faults) {
      ctx.faults = simulatorFaultsSchema.parse(faults);
    },
    setWebhooks(targets, faults) {
      webhooks.setTargets(targets, faults);
    },
    webhookStats: () => webhooks.stats(),
    stop: async () => {
      bedrock.stop();
      await webhooks.stop();
      store.noteTime(clock.now());
      store.saveMeta();
      await new Promise<void>((resolve, reject) => {
        front.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
        h2.close();
        for (const socket of sockets) socket.destroy();
      });
    },
  };
};

const bearer = (req: IncomingMessage): string | undefined => {
  const header = req.headers.authorization;
  const match = header === undefined ? null : /^Bearer\s+(.+)$/i.exec(header);
  return match?.[1]?.trim();
};

/** Anthropic takes `x-api-key` (preferred when both are sent) or a bearer token. */
const checkAuth = (
  req: IncomingMessage,
  anthropic: boolean,
  apiKeys: readonly string[] | undefined,
): void => {
  const apiKeyHeader = req.headers['x-api-key'];
  const key = anthropic
    ? ((typeof apiKeyHeader === 'string' && apiKeyHeader.length > 0 ? apiKeyHeader : undefined) ??
      bearer(req))
    : bearer(req);
  if (key === undefined || key.length === 0) {
    throw anthropic
      ? new SimHttpError(401, 'authentication_error', 'x-api-key header is required')
      : new SimHttpError(
          401,
          'invalid_request_error',
          "You didn't provide an API key. Provide it in an Authorization header (Bearer).",
        );
  }
  if (apiKeys !== undefined && !apiKeys.includes(key)) {
    throw anthropic
      ? new SimHttpError(401, 'authentication_error', 'invalid x-api-key')
      : new SimHttpError(401, 'invalid_request_error', 'Incorrect API key provided.', {
          code: 'invalid_api_key',
        });
  }
};

/** The URL with an OpenAI-compatible provider's path replaced by OpenAI's own. */
const openaiUrlOf = (url: URL, openaiPath: string): URL => {
  const rewritten = new URL(url);
  rewritten.pathname = openaiPath;
  return rewritten;
};

/**
 * Azure OpenAI takes its key in `api-key` (what `AzureOpenAI` sends; Entra tokens as a bearer
 * are not simulated) and needs an `api-version` it knows, else the path is "not found".
 */
const checkAzureAuth = (
  req: IncomingMessage,
  url: URL,
  apiKeys: readonly string[] | undefined,
): void => {
  const version = url.searchParams.get('api-version');
  if (version === null || !AZURE_API_VERSIONS.includes(version)) throw azureNotFound();
  const header = req.headers['api-key'];
  const key = typeof header === 'string' && header.length > 0 ? header : undefined;
  if (key === undefined || (apiKeys !== undefined && !apiKeys.includes(key))) {
    throw new SimHttpError(
      401,
      'invalid_request_error',
      'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.',
      { code: '401' },
    );
  }
};

/** Gemini takes `x-goog-api-key` (what `@google/genai` sends) or `?key=`. */
const checkGeminiAuth = (
  req: IncomingMessage,
  url: URL,
  apiKeys: readonly string[] | undefined,
): void => {
  const header = req.headers['x-goog-api-key'];
  const key = (typeof header === 'string' ? header : undefined) ?? url.searchParams.get('key');
  if (key === null || key === undefined || key.length === 0) {
    throw new SimHttpError(
      403,
      'PERMISSION_DENIED',
      "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
    );
  }
  if (apiKeys !== undefined && !apiKeys.includes(key)) {
    throw new SimHttpError(
      400,
      'INVALID_ARGUMENT',
      'API key not valid. Please pass a valid API key.',
      { code: 'API_KEY_INVALID' },
    );
  }
};

const GEMINI_STATUS_NAMES: Readonly<Record<number, string>> = {
  400: 'INVALID_ARGUMENT',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ALREADY_EXISTS',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

const injectedGeminiError = (status: number): SimHttpError =>
  new SimHttpError(
    status,
    GEMINI_STATUS_NAMES[status] ?? (status >= 500 ? 'INTERNAL' : 'INVALID_ARGUMENT'),
    status === 429
      ? 'Resource has been exhausted (e.g. check quota). (simulated)'
      : 'An internal error has occurred. (simulated)',
  );

/** Gemini's error envelope: `{error:{code,message,status}}`. */
const sendGeminiError = (
  res: ServerResponse,
  error: unknown,
  headers: Record<string, string>,
): void =>
  sendHttpError(res, error, headers, 'INTERNAL', (httpError) => {
    const status = /^[A-Z_]+$/.test(httpError.type)
      ? httpError.type
      : (GEMINI_STATUS_NAMES[httpError.status] ?? 'INVALID_ARGUMENT');
    // `extra.code` carries the ErrorInfo reason where Gemini gives one (API_KEY_INVALID).
    const reason = httpError.extra.code;
    const details =
      typeof reason === 'string'
        ? [
            {
              '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
              reason,
              domain: 'googleapis.com',
            },
          ]
        : undefined;
    return {
      error: {
        code: httpError.status,
        message: httpError.message,
        status,
        ...(details === undefined ? {} : { details }),
      },
    };
  });

/**
 * Picks whether this HTTP request gets an injected error. Seeded by the request counter, and
 * skipped once the SDK's retry count reaches `maxPerRequest`, so default retries recover.
 */
const pickHttpFault = (
  faults: SimulatorFaults,
  req: IncomingMessage,
  url: URL,
  seed: number,
  counter: number,
): number | null => {
  const http = faults.http;
  if (http === undefined || http.rate <= 0) return null;
  if (http.pathPattern !== undefined && !new RegExp(http.pathPattern).test(url.pathname)) {
    return null;
  }
  const retryCount = Number(req.headers['x-stainless-retry-count'] ?? 0);
  if (retryCount >= (http.maxPerRequest ?? 1)) return null;
  if (hashUnit(seed, 'http-fault', counter) >= http.rate) return null;
  const statuses = http.statuses ?? DEFAULT_HTTP_FAULT_STATUSES;
  return statuses[Math.floor(hashUnit(seed, 'http-status', counter) * statuses.length)] ?? 500;
};

const injectedError = (status: number, anthropic: boolean): SimHttpError => {
  if (status === 429) {
    return anthropic
      ? new SimHttpError(429, 'rate_limit_error', 'Rate limited (simulated).')
      : new SimHttpError(429, 'requests', 'Rate limit reached (simulated).', {
          code: 'rate_limit_exceeded',
        });
  }
  if (status === 529) return new SimHttpError(529, 'overloaded_error', 'Overloaded (simulated).');
  if (status >= 500) {
    return new SimHttpError(
      status,
      anthropic ? 'api_error' : 'server_error',
      'Internal server error (simulated).',
    );
  }
  return new SimHttpError(status, 'invalid_request_error', 'Injected error (simulated).');
};

const sendError = (
  res: ServerResponse,
  error: unknown,
  anthropic: boolean,
  requestId: string,
  headers: Record<string, string>,
): void =>
  sendHttpError(res, error, headers, anthropic ? 'api_error' : 'server_error', (httpError) =>
    anthropic
      ? {
          type: 'error',
          error: { type: httpError.type, message: httpError.message },
          request_id: requestId,
        }
      : {
          error: {
            message: httpError.message,
            type: httpError.type,
            param: httpError.extra.param ?? null,
            code: httpError.extra.code ?? null,
          },
        },
  );

export {
  type RunningSimulator,
  type SimulatorFaults,
  type SimulatorLimits,
  type SimulatorOptions,
  type SimulatorStats,
  startSimulator,
};
