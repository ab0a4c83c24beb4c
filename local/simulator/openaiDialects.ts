import { SimHttpError } from './httpIo.js';

/**
 * The OpenAI-compatible providers the simulator serves next to OpenAI, each under its own
 * path prefix on the one port, and how each departs from OpenAI's Files + Batches API. This
 * is the simulator's own description of the providers (from their documentation), not
 * batchlane's profiles: tests of the profiles are only worth something if the two are
 * written separately.
 */
interface OpenAIDialect {
  /** `openai`, a built-in profile's provider, or a deployment's own profile id. */
  readonly id: string;
  /** Path prefix before the provider's own paths (`/groq` + `/openai/v1/batches`). */
  readonly prefix: string;
  /** The provider's own path to the Files and Batches resources (`/openai/v1`, `/openai`). */
  readonly apiRoot: string;
  /** `api-key` header and `api-version` query (Azure) instead of a bearer token. */
  readonly azure: boolean;
  /** The `endpoint` values create takes (Azure's have no `/v1`). */
  readonly endpoints: readonly string[];
  /** The `completion_window` values create takes. */
  readonly windows: readonly string[];
  /** The file purpose of a batch input. */
  readonly batchPurpose: string;
  /** Whether lines carry `method` and `url` (Together's do not). */
  readonly linesHaveUrl: boolean;
  /** Longest `custom_id` (Together: 64); null: no limit. */
  readonly maxCustomIdLength: number | null;
  /** Together's batch object: upper-case statuses, RFC 3339 times, its own field names. */
  readonly togetherObjects: boolean;
  readonly maxRequests: number;
  readonly maxFileBytes: number;
  /**
   * The models a deployment's own provider serves (a model or a dated snapshot of it), where
   * the model table knows none of them; empty: any model. Absent: the model table's.
   */
  readonly models?: readonly string[];
}

const DAY_WINDOWS = ['24h', '48h', '72h', '4d', '5d', '6d', '7d'];
/** Endpoints the simulator can answer; the real API also takes completions, moderations, … */
const BATCH_ENDPOINTS = ['/v1/chat/completions', '/v1/embeddings', '/v1/responses'] as const;
const CHAT_ONLY = ['/v1/chat/completions'];
const MB = 1000 * 1000;

/**
 * OpenAI itself, as a dialect: the one the others depart from. Its own limits are the
 * simulator's (`SimLimits`), not the dialect's.
 */
const OPENAI_DIALECT: OpenAIDialect = {
  id: 'openai',
  prefix: '',
  apiRoot: '/v1',
  azure: false,
  endpoints: BATCH_ENDPOINTS,
  windows: ['24h'],
  batchPurpose: 'batch',
  linesHaveUrl: true,
  maxCustomIdLength: null,
  togetherObjects: false,
  maxRequests: Number.POSITIVE_INFINITY,
  maxFileBytes: Number.POSITIVE_INFINITY,
};

/** A provider served under `/<id>` as OpenAI is, but for what `departures` says. */
const departingFromOpenAI = (
  id: string,
  departures: Partial<OpenAIDialect> & Pick<OpenAIDialect, 'maxRequests' | 'maxFileBytes'>,
): OpenAIDialect => ({ ...OPENAI_DIALECT, id, prefix: `/${id}`, ...departures });

const DIALECTS: readonly OpenAIDialect[] = [
  departingFromOpenAI('together', {
    endpoints: CHAT_ONLY,
    batchPurpose: 'batch-api',
    linesHaveUrl: false,
    maxCustomIdLength: 64,
    togetherObjects: true,
    maxRequests: 50_000,
    maxFileBytes: 100 * MB,
  }),
  departingFromOpenAI('groq', {
    apiRoot: '/openai/v1',
    endpoints: CHAT_ONLY,
    windows: DAY_WINDOWS,
    maxRequests: 50_000,
    maxFileBytes: 100 * MB,
  }),
  departingFromOpenAI('xai', { endpoints: CHAT_ONLY, maxRequests: 50_000, maxFileBytes: 200 * MB }),
  departingFromOpenAI('azure-openai', {
    apiRoot: '/openai',
    azure: true,
    endpoints: ['/chat/completions', '/embeddings'],
    maxRequests: 100_000,
    maxFileBytes: 200 * MB,
  }),
];

/** Where a deployment's own profile is served: `/profiles/<id>` + `/v1`. */
const PROFILES_PREFIX = '/profiles';

/**
 * A provider a deployment defines as a profile of its own, served as an OpenAI-faithful clone
 * (OpenAI's paths under `/profiles/<id>/v1`, its endpoints, `24h` window, limits and shapes),
 * serving `models` (empty: any).
 */
const profileDialect = (id: string, models: readonly string[] = []): OpenAIDialect => ({
  ...OPENAI_DIALECT,
  id,
  prefix: `${PROFILES_PREFIX}/${id}`,
  maxRequests: 50_000,
  maxFileBytes: 200 * MB,
  models,
});

/** Azure data-plane API versions that have the Batch API (GA `2024-10-21` and later previews). */
const AZURE_API_VERSIONS = ['2024-10-21', '2025-03-01-preview', '2025-04-01-preview'];

/**
 * The simulated Azure resource's deployments: name → model. Only `GlobalBatch` ones take
 * batch lines; the `Standard` one answers synchronous calls only.
 */
const AZURE_DEPLOYMENTS: Readonly<Record<string, { model: string; type: string }>> = {
  'gpt-4o-mini': { model: 'gpt-4o-mini-2024-07-18', type: 'GlobalBatch' },
  'gpt-4.1-mini': { model: 'gpt-4.1-mini-2025-04-14', type: 'GlobalBatch' },
  'gpt-4.1-nano': { model: 'gpt-4.1-nano-2025-04-14', type: 'GlobalBatch' },
  'text-embedding-3-small': { model: 'text-embedding-3-small', type: 'GlobalBatch' },
  'gpt-4o-mini-standard': { model: 'gpt-4o-mini-2024-07-18', type: 'Standard' },
};

/** Hours in a window value (`24h`, `7d`). */
const windowMs = (window: string): number => {
  const amount = Number(window.slice(0, -1));
  return (window.endsWith('d') ? amount * 24 : amount) * 3600 * 1000;
};

/** Azure answers an unknown path or a missing or unknown `api-version` like this. */
const azureNotFound = (): SimHttpError =>
  new SimHttpError(404, 'invalid_request_error', 'Resource not found', { code: '404' });

interface DialectRoute {
  readonly dialect: OpenAIDialect;
  /** The path as OpenAI would have it (`/v1/batches/...`, `/v1/chat/completions`). */
  readonly openaiPath: string;
}

/**
 * Which dialect a path belongs to, and the path as OpenAI's handlers know it; null for a
 * path outside every dialect's prefix (OpenAI itself, or another provider).
 */
const dialectRouteOf = (
  pathname: string,
  /** The deployment's own profiles the simulator serves besides the built-in dialects. */
  profiles: readonly OpenAIDialect[] = [],
): DialectRoute | null => {
  for (const dialect of [...DIALECTS, ...profiles]) {
    const root = `${dialect.prefix}${dialect.apiRoot}`;
    if (!pathname.startsWith(`${root}/`)) continue;
    const rest = pathname.slice(root.length);
    if (!dialect.azure) return { dialect, openaiPath: `/v1${rest}` };
    // Azure: synchronous calls name the deployment in the path.
    const deployment = /^\/deployments\/([^/]+)(\/.*)$/.exec(rest);
    return { dialect, openaiPath: `/v1${deployment === null ? rest : deployment[2]}` };
  }
  return null;
};

/** Azure's deployment named in a synchronous call's path, if any. */
const azureDeploymentOf = (pathname: string): string | null =>
  /\/deployments\/([^/]+)\//.exec(pathname)?.[1] ?? null;

export {
  AZURE_API_VERSIONS,
  AZURE_DEPLOYMENTS,
  azureDeploymentOf,
  azureNotFound,
  DIALECTS,
  type DialectRoute,
  dialectRouteOf,
  OPENAI_DIALECT,
  type OpenAIDialect,
  PROFILES_PREFIX,
  profileDialect,
  windowMs,
};
