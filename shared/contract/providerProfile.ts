import { z } from 'zod';
import { PriceEntrySchema } from '../domain/pricing/PriceTable.js';

/**
 * Provider profiles: providers whose batch API is OpenAI's (Files + Batches) with departures
 * that are data, not code. Each is driven through the `openai` SDK at its own base URL (Azure
 * through the SDK's `AzureOpenAI` client). Together, Groq, xAI and Azure OpenAI are built in;
 * a deployment adds its own in CDK context (`providerProfiles`), checked by this schema at
 * synth and again when the functions load their configuration.
 */

/** Endpoints a profile may take in batch: the OpenAI endpoints batchlane assembles lines for. */
const PROFILE_ENDPOINTS = ['/v1/chat/completions', '/v1/embeddings', '/v1/responses'] as const;
type ProfileEndpoint = (typeof PROFILE_ENDPOINTS)[number];

/** `24h`, `7d`: the `completion_window` syntax (Groq accepts `24h` up to `7d`). */
const WINDOW_PATTERN = /^[1-9][0-9]{0,3}[hd]$/;

/** Hours in a `completion_window` value (`24h` → 24, `7d` → 168). */
const windowHours = (window: string): number => {
  const amount = Number(window.slice(0, -1));
  return window.endsWith('d') ? amount * 24 : amount;
};

/** Ids a deployment profile may not take: the providers batchlane drives with their own SDK. */
const RESERVED_PROFILE_IDS = ['anthropic', 'openai', 'gemini', 'bedrock', 'mistral', 'deepseek'];

const WindowSchema = z
  .object({
    /** The `completion_window` batchlane sends on create. */
    request: z.string().regex(WINDOW_PATTERN, 'window.request must look like 24h or 7d'),
    /** The values the provider accepts, shortest first (Groq: 24h to 7d). */
    accepted: z
      .array(z.string().regex(WINDOW_PATTERN, 'window.accepted values must look like 24h or 7d'))
      .min(1),
    /**
     * Hours a batch may really take, when the provider treats the window as a best-effort
     * target and runs past it (Together: support asks to wait 72 h). Null: the window is hard.
     */
    runsPastHours: z.number().int().positive().nullable(),
  })
  .strict()
  .refine((window) => window.accepted.includes(window.request), {
    message: 'window.request must be one of window.accepted',
    path: ['request'],
  });

/**
 * How a provider's API departs from OpenAI's. Every field defaults to OpenAI's behaviour, so a
 * deployment profile for a faithful clone names none.
 */
const QuirksSchema = z
  .object({
    /**
     * `azure`: the `AzureOpenAI` client (`api-key` header, `api-version` query, `/openai/...`
     * paths, endpoints without `/v1`, and a deployment name where OpenAI takes a model).
     */
    client: z.enum(['openai', 'azure']).default('openai'),
    /** Azure's `api-version` query value. */
    apiVersion: z.string().min(1).nullable().default(null),
    /**
     * Azure: the deployment serving each model (`{"gpt-4o-mini": "gpt-4o-mini-batch"}`); a model
     * not listed is sent as a deployment of the same name. Requests and prices name the model.
     */
    deployments: z.record(z.string().min(1), z.string().min(1)).default({}),
    /** Azure: the deployment type batches need (`GlobalBatch`, `DataZoneBatch`). */
    deploymentType: z.string().min(1).nullable().default(null),
    /** Together: lines are `{custom_id, body}`, without `method` and `url`. */
    inputLine: z.enum(['openai', 'body_only']).default('openai'),
    /** The Files API `purpose` of a batch input (Together: `batch-api`). */
    filePurpose: z.string().min(1).default('batch'),
    /** Together answers statuses in upper case (`IN_PROGRESS`); batchlane reads either. */
    upperCaseStatus: z.boolean().default(false),
    /** Together's create answers `{"job": {...}}` instead of the batch itself. */
    createEnvelope: z.enum(['none', 'job']).default('none'),
    /**
     * Whether batches carry `metadata` (crash reconciliation finds a batch by it); without it,
     * batchlane finds the batch by its input file's name.
     */
    batchMetadata: z.boolean().default(true),
  })
  .strict();

/** What one provider batch may hold. */
const ProfileLimitsSchema = z
  .object({
    maxRequests: z.number().int().positive(),
    maxBytes: z.number().int().positive(),
    /** Tokens the provider lets wait per model; null when it names none. */
    maxEnqueuedTokens: z.number().int().positive().nullable(),
  })
  .strict();

/** A profile's id, and so what every provider id is made of. */
const PROFILE_ID_PATTERN = /^[a-z][a-z0-9-]{1,30}[a-z0-9]$/;

const ProviderProfileSchema = z
  .object({
    id: z
      .string()
      .regex(
        PROFILE_ID_PATTERN,
        'id must be 3-32 characters of a-z, 0-9 and -, starting with a letter',
      ),
    /** Up to and including the version segment the SDK appends `/files` and `/batches` to. */
    baseUrl: z.url({ error: 'baseUrl must be an absolute URL' }),
    /** How the key is found: the Secrets Manager secret (deployed) or env var (local). */
    key: z
      .object({
        secretName: z.string().regex(/^[A-Za-z0-9/_+=.@-]{1,512}$/, 'key.secretName is invalid'),
        envVar: z.string().regex(/^[A-Z][A-Z0-9_]{0,127}$/, 'key.envVar must be UPPER_SNAKE'),
      })
      .strict(),
    endpoints: z.array(z.enum(PROFILE_ENDPOINTS)).min(1),
    limits: ProfileLimitsSchema,
    window: WindowSchema,
    /** Share of the standard price the batch costs (0.5: half price); prices are per model. */
    batchDiscount: z.number().positive().max(1),
    quirks: QuirksSchema.prefault({}),
    /**
     * A deployment profile's models' prices, as `priceTableOverride` writes them for a
     * provider (standard prices per million tokens; the batch price by `batch_discount`, a
     * cached-input batch price by `batch_cache_read`). Built-in profiles' prices ship in the
     * price table.
     */
    prices: z.array(PriceEntrySchema).default([]),
  })
  .strict()
  .superRefine((profile, ctx) => {
    if (profile.quirks.client === 'azure' && profile.quirks.apiVersion === null) {
      ctx.addIssue({
        code: 'custom',
        path: ['quirks', 'apiVersion'],
        message: 'an azure profile needs quirks.apiVersion',
      });
    }
  });

type ProviderProfile = z.output<typeof ProviderProfileSchema>;
type ProviderProfileInput = z.input<typeof ProviderProfileSchema>;

/** A deployment's profiles: unique ids that are neither reserved nor built in. */
const DeploymentProfilesSchema = z.array(ProviderProfileSchema).superRefine((profiles, ctx) => {
  const seen = new Set<string>();
  for (const [index, profile] of profiles.entries()) {
    if (RESERVED_PROFILE_IDS.includes(profile.id)) {
      ctx.addIssue({
        code: 'custom',
        path: [index, 'id'],
        message: `id "${profile.id}" names a provider batchlane drives with its own SDK`,
      });
    }
    if (seen.has(profile.id)) {
      ctx.addIssue({
        code: 'custom',
        path: [index, 'id'],
        message: `id "${profile.id}" is given twice`,
      });
    }
    seen.add(profile.id);
  }
});

const BUILT_IN_PROFILE_IDS = ['together', 'groq', 'xai', 'azure-openai'] as const;
type BuiltInProfileId = (typeof BUILT_IN_PROFILE_IDS)[number];

/*
 * Sources: the reference notes on each provider's batch API (Together: lines without
 * method/url, purpose `batch-api`, upper-case statuses, 50k requests / 100 MB / 30B enqueued
 * tokens per model, a best-effort 24 h window that can run to 72 h; Groq: `/openai/v1`, windows
 * 24h to 7d, 100 MB files; Azure OpenAI: 100k requests / 200 MB, global-batch deployments).
 * xAI documents no departure from OpenAI's Files + Batches shape.
 */
const BUILT_IN_PROFILE_INPUTS: Record<BuiltInProfileId, ProviderProfileInput> = {
  together: {
    id: 'together',
    baseUrl: 'https://api.together.xyz/v1',
    key: { secretName: 'batchlane/together', envVar: 'TOGETHER_API_KEY' },
    endpoints: ['/v1/chat/completions'],
    limits: { maxRequests: 50_000, maxBytes: 100 * 1000 * 1000, maxEnqueuedTokens: 30e9 },
    window: { request: '24h', accepted: ['24h'], runsPastHours: 72 },
    batchDiscount: 0.5,
    quirks: {
      inputLine: 'body_only',
      filePurpose: 'batch-api',
      upperCaseStatus: true,
      createEnvelope: 'job',
      batchMetadata: false,
    },
  },
  groq: {
    id: 'groq',
    baseUrl: 'https://api.groq.com/openai/v1',
    key: { secretName: 'batchlane/groq', envVar: 'GROQ_API_KEY' },
    endpoints: ['/v1/chat/completions'],
    limits: { maxRequests: 50_000, maxBytes: 100 * 1000 * 1000, maxEnqueuedTokens: null },
    window: {
      request: '24h',
      accepted: ['24h', '48h', '72h', '4d', '5d', '6d', '7d'],
      runsPastHours: null,
    },
    batchDiscount: 0.5,
  },
  xai: {
    id: 'xai',
    baseUrl: 'https://api.x.ai/v1',
    key: { secretName: 'batchlane/xai', envVar: 'XAI_API_KEY' },
    endpoints: ['/v1/chat/completions'],
    limits: { maxRequests: 50_000, maxBytes: 200 * 1000 * 1000, maxEnqueuedTokens: null },
    window: { request: '24h', accepted: ['24h'], runsPastHours: null },
    batchDiscount: 0.5,
  },
  'azure-openai': {
    id: 'azure-openai',
    // The resource's own endpoint replaces this (`BATCHLANE_AZURE_OPENAI_BASE_URL`, CDK
    // context `providerBaseUrls`); the client adds `/openai`.
    baseUrl: 'https://example-resource.openai.azure.com',
    key: { secretName: 'batchlane/azure-openai', envVar: 'AZURE_OPENAI_API_KEY' },
    endpoints: ['/v1/chat/completions', '/v1/embeddings'],
    limits: { maxRequests: 100_000, maxBytes: 200 * 1000 * 1000, maxEnqueuedTokens: null },
    window: { request: '24h', accepted: ['24h'], runsPastHours: null },
    batchDiscount: 0.5,
    quirks: { client: 'azure', apiVersion: '2024-10-21', deploymentType: 'GlobalBatch' },
  },
};

const BUILT_IN_PROFILES: Readonly<Record<BuiltInProfileId, ProviderProfile>> = Object.fromEntries(
  Object.entries(BUILT_IN_PROFILE_INPUTS).map(([id, input]) => [
    id,
    ProviderProfileSchema.parse(input),
  ]),
) as Record<BuiltInProfileId, ProviderProfile>;

const isBuiltInProfileId = (value: string): value is BuiltInProfileId =>
  (BUILT_IN_PROFILE_IDS as readonly string[]).includes(value);

/**
 * A deployment's change to a built-in profile (CDK context `providerProfiles`): where the
 * provider is (Azure: the resource's endpoint), which secret holds the key, the window to ask
 * for (Groq: up to `7d`) and quirks (Azure: deployments, `api-version`). Endpoints, limits and
 * the discount are the provider's and stay as built in: batches are packed to them.
 */
const ProfileOverrideSchema = z
  .object({
    id: z.enum(BUILT_IN_PROFILE_IDS, {
      error: `id must name a built-in profile (${BUILT_IN_PROFILE_IDS.join(', ')})`,
    }),
    baseUrl: z.url({ error: 'baseUrl must be an absolute URL' }).optional(),
    key: z.record(z.string(), z.unknown()).optional(),
    window: z.record(z.string(), z.unknown()).optional(),
    quirks: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

type ProfileOverride = z.input<typeof ProfileOverrideSchema>;

/**
 * The built-in profiles with a deployment's overrides applied, each checked whole; an error
 * names the entry and the field (`1.window.request: ...`).
 */
const applyProfileOverrides = (
  overrides: unknown,
):
  | { readonly ok: true; readonly profiles: Record<BuiltInProfileId, ProviderProfile> }
  | { readonly ok: false; readonly issues: readonly string[] } => {
  const listed = z.array(ProfileOverrideSchema).safeParse(overrides);
  const describe = (prefix: (string | number)[], error: z.ZodError): string[] =>
    error.issues.map((issue) => `${[...prefix, ...issue.path].join('.')}: ${issue.message}`);
  if (!listed.success) return { ok: false, issues: describe([], listed.error) };
  const profiles: Record<BuiltInProfileId, ProviderProfile> = { ...BUILT_IN_PROFILES };
  const issues: string[] = [];
  const seen = new Set<string>();
  for (const [index, override] of listed.data.entries()) {
    if (seen.has(override.id)) issues.push(`${index}.id: id "${override.id}" is given twice`);
    seen.add(override.id);
    const base = BUILT_IN_PROFILES[override.id];
    const merged = ProviderProfileSchema.safeParse({
      ...base,
      ...(override.baseUrl === undefined ? {} : { baseUrl: override.baseUrl }),
      key: { ...base.key, ...override.key },
      window: { ...base.window, ...override.window },
      quirks: { ...base.quirks, ...override.quirks },
    });
    if (merged.success) profiles[override.id] = merged.data;
    else issues.push(...describe([index], merged.error));
  }
  return issues.length === 0 ? { ok: true, profiles } : { ok: false, issues };
};

/** The fields an entry for a built-in profile may set. */
const OVERRIDE_FIELDS = ['id', 'baseUrl', 'key', 'window', 'quirks'];

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Every profile of a deployment from its context entries (`providerProfiles`): an entry whose
 * id is built in changes that profile ({@link applyProfileOverrides}); any other id is a whole
 * profile of the deployment's own (with its prices), checked by {@link ProviderProfileSchema}.
 * An error names the entry and the field (`2.window.request: ...`): a reserved id, a built-in
 * id given as a whole profile, an id given twice, a bad URL, window or price.
 */
const resolveProfiles = (
  entries: unknown,
):
  | { readonly ok: true; readonly profiles: Readonly<Record<string, ProviderProfile>> }
  | { readonly ok: false; readonly issues: readonly string[] } => {
  if (!Array.isArray(entries)) {
    return { ok: false, issues: ['(root): providerProfiles must be a list of profiles'] };
  }
  const issues: string[] = [];
  const overrides: unknown[] = [];
  const overrideIndexes: number[] = [];
  const own: Record<string, ProviderProfile> = {};
  const seen = new Set<string>();
  for (const [index, entry] of entries.entries()) {
    const id = isRecord(entry) ? entry['id'] : undefined;
    if (typeof id !== 'string') {
      issues.push(`${index}.id: each profile needs an id`);
      continue;
    }
    if (seen.has(id)) issues.push(`${index}.id: id "${id}" is given twice`);
    seen.add(id);
    if (RESERVED_PROFILE_IDS.includes(id)) {
      issues.push(
        `${index}.id: id "${id}" names a provider batchlane drives with its own SDK; a profile may not take it`,
      );
    } else if (isBuiltInProfileId(id)) {
      const extra = Object.keys(entry as object).filter((key) => !OVERRIDE_FIELDS.includes(key));
      if (extra.length > 0) {
        issues.push(
          `${index}: "${id}" is a built-in profile: its entry may change ${OVERRIDE_FIELDS.slice(1).join(', ')} only, not ${extra.join(', ')} (a profile of your own needs an id of its own)`,
        );
      } else {
        overrides.push(entry);
        overrideIndexes.push(index);
      }
    } else {
      const parsed = ProviderProfileSchema.safeParse(entry);
      if (parsed.success) own[id] = parsed.data;
      else {
        issues.push(
          ...parsed.error.issues.map(
            (issue) => `${[index, ...issue.path].join('.')}: ${issue.message}`,
          ),
        );
      }
    }
  }
  const applied = applyProfileOverrides(overrides);
  if (!applied.ok) {
    // Its issues are numbered within the overrides: put back each entry's own index.
    issues.push(
      ...applied.issues.map((issue) =>
        issue.replace(/^(\d+)/, (n) => String(overrideIndexes[Number(n)] ?? n)),
      ),
    );
  }
  // An id given twice among the changes is told by both checks: once is enough.
  if (issues.length > 0 || !applied.ok) return { ok: false, issues: [...new Set(issues)] };
  return { ok: true, profiles: { ...applied.profiles, ...own } };
};

/**
 * The endpoint as the profile's API names it: Azure drops the `/v1` (its client's base URL
 * already ends in `/openai`).
 */
const profileEndpointPath = (profile: ProviderProfile, endpoint: string): string =>
  profile.quirks.client === 'azure' ? endpoint.replace(/^\/v1(?=\/)/, '') : endpoint;

/** The model as the profile's API names it: Azure's deployment serving it. */
const profileModelName = (profile: ProviderProfile, model: string): string =>
  profile.quirks.deployments[model] ?? model;

/** What batchlane's scheduling takes from the profiles, per profile id (ms, tokens). */
interface ProfileRunLimits {
  /** How long a batch may take: the window asked for, or longer where the provider overruns. */
  readonly batchWindowMs: Record<string, number>;
  /** How long past its expiry a batch may still run and end (Together: 72 h of 24 h). */
  readonly runsPastExpiryMs: Record<string, number>;
  /** Most prompt tokens enqueued per model, where the provider names a cap. */
  readonly maxEnqueuedTokensPerModel: Record<string, number>;
}

const HOUR_MS = 3_600_000;

/**
 * The limits and windows of the profiles that the lane choice, the poller and the submitter
 * use: a profile whose batches run past their window (`runsPastHours`) is given that long
 * before a batch counts as late or stuck, and a deadline must leave that long for its batch.
 */
const profileRunLimits = (
  profiles: Readonly<Record<string, ProviderProfile>>,
): ProfileRunLimits => {
  const limits: ProfileRunLimits = {
    batchWindowMs: {},
    runsPastExpiryMs: {},
    maxEnqueuedTokensPerModel: {},
  };
  for (const [id, profile] of Object.entries(profiles)) {
    const window = windowHours(profile.window.request);
    const runs = Math.max(window, profile.window.runsPastHours ?? 0);
    limits.batchWindowMs[id] = runs * HOUR_MS;
    if (runs > window) limits.runsPastExpiryMs[id] = (runs - window) * HOUR_MS;
    if (profile.limits.maxEnqueuedTokens !== null) {
      limits.maxEnqueuedTokensPerModel[id] = profile.limits.maxEnqueuedTokens;
    }
  }
  return limits;
};

export {
  applyProfileOverrides,
  BUILT_IN_PROFILE_IDS,
  BUILT_IN_PROFILES,
  type BuiltInProfileId,
  DeploymentProfilesSchema,
  isBuiltInProfileId,
  PROFILE_ENDPOINTS,
  PROFILE_ID_PATTERN,
  type ProfileEndpoint,
  type ProfileOverride,
  type ProfileRunLimits,
  type ProviderProfile,
  type ProviderProfileInput,
  ProviderProfileSchema,
  profileEndpointPath,
  profileModelName,
  profileRunLimits,
  RESERVED_PROFILE_IDS,
  resolveProfiles,
  windowHours,
};
