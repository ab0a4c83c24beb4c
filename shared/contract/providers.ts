/**
 * Providers and the endpoints batchlane can send to each of them, with their batch limits.
 * Limits come from the providers' own documentation (see README, "Provider limits"); where a
 * provider names none, batchlane's own cap.
 */
import {
  BUILT_IN_PROFILE_IDS,
  BUILT_IN_PROFILES,
  type BuiltInProfileId,
  type ProviderProfile,
} from './providerProfile.js';

const PROVIDERS = [
  'anthropic',
  'openai',
  'gemini',
  'bedrock',
  'mistral',
  'deepseek',
  ...BUILT_IN_PROFILE_IDS,
] as const;
type ProviderName = (typeof PROVIDERS)[number];

/**
 * Providers a deployment talks to when it names none. Providers added later are opted into
 * (`enabledProviders`), so an existing deployment never starts needing a key it lacks.
 */
const DEFAULT_ENABLED_PROVIDERS: readonly ProviderName[] = ['anthropic', 'openai'];

/** One value per built-in profile, for the per-provider tables below. */
const profileRecord = <T>(of: (profile: ProviderProfile) => T): Record<BuiltInProfileId, T> =>
  Object.fromEntries(BUILT_IN_PROFILE_IDS.map((id) => [id, of(BUILT_IN_PROFILES[id])])) as Record<
    BuiltInProfileId,
    T
  >;

const PROVIDER_ENDPOINTS = {
  anthropic: ['/v1/messages'],
  openai: ['/v1/chat/completions', '/v1/embeddings', '/v1/responses'],
  // Gemini names its methods, not paths: `models/{model}:generateContent`, batched by
  // `models/{model}:batchGenerateContent`.
  gemini: ['generateContent'],
  // Bedrock batch inference with `modelInvocationType: InvokeModel`: the body is the model's
  // native InvokeModel body (`modelInput`), and the model is named by the request's `model`.
  bedrock: ['/model/invoke'],
  // Mistral's batch jobs take these among their `endpoint`s, with OpenAI-like bodies.
  mistral: ['/v1/chat/completions', '/v1/embeddings', '/v1/fim/completions'],
  // DeepSeek's OpenAI-compatible chat API; it has no batch API (served in its off-peak hours).
  deepseek: ['/v1/chat/completions'],
  ...profileRecord((profile) => profile.endpoints),
} as const satisfies Record<ProviderName, readonly string[]>;

type ProviderEndpoint = (typeof PROVIDER_ENDPOINTS)[ProviderName][number];

const DEFAULT_ENDPOINT: Record<ProviderName, ProviderEndpoint> = {
  anthropic: '/v1/messages',
  openai: '/v1/chat/completions',
  gemini: 'generateContent',
  bedrock: '/model/invoke',
  mistral: '/v1/chat/completions',
  deepseek: '/v1/chat/completions',
  ...profileRecord(() => '/v1/chat/completions' as const),
};

interface ProviderLimits {
  /** Most requests one provider batch accepts. */
  readonly maxRequests: number;
  /** Most bytes of one batch's input (Anthropic: the create body; OpenAI: the input file). */
  readonly maxBytes: number;
  /** Whether every request in one batch must name the same model (OpenAI: one model per file). */
  readonly oneModelPerBatch: boolean;
  /**
   * Fewest requests one provider batch accepts (Bedrock: "Minimum number of records per
   * batch inference job"). A smaller group waits to fill, or goes to the realtime lane.
   */
  readonly minRequests?: number;
}

const PROVIDER_LIMITS: Record<ProviderName, ProviderLimits> = {
  anthropic: { maxRequests: 100_000, maxBytes: 256 * 1000 * 1000, oneModelPerBatch: false },
  openai: { maxRequests: 50_000, maxBytes: 200 * 1000 * 1000, oneModelPerBatch: true },
  // Gemini takes a 2 GB input file and names no request cap; batchlane keeps its batches to
  // Anthropic's size, which the completion function is sized to assemble and read back.
  // The model is in the create call's path, so a batch holds one model.
  gemini: { maxRequests: 100_000, maxBytes: 256 * 1000 * 1000, oneModelPerBatch: true },
  // Bedrock's default per-model quotas: records per job (and per file: batchlane writes one
  // file per job), 1 GB per input file, and at least 100 records per job.
  bedrock: {
    maxRequests: 50_000,
    maxBytes: 1000 * 1000 * 1000,
    oneModelPerBatch: true,
    minRequests: 100,
  },
  // Mistral documents batches of "up to 1M requests" and no file size; a third-party note
  // says 100,000 requests and 512 MB. batchlane keeps to the lower figures (and to the
  // completion function's 256 MB). The model is named once, on the job.
  mistral: { maxRequests: 100_000, maxBytes: 256 * 1000 * 1000, oneModelPerBatch: true },
  // No batch API: every request is served synchronously (see the lanes table), so no batch
  // is ever filled for it; one request per "batch" keeps that true should one be.
  deepseek: { maxRequests: 1, maxBytes: 64 * 1024 * 1024, oneModelPerBatch: true },
  ...profileRecord((profile) => ({
    maxRequests: profile.limits.maxRequests,
    maxBytes: profile.limits.maxBytes,
    oneModelPerBatch: true,
  })),
};

const isProviderName = (value: unknown): value is ProviderName =>
  typeof value === 'string' && (PROVIDERS as readonly string[]).includes(value);

export {
  DEFAULT_ENABLED_PROVIDERS,
  DEFAULT_ENDPOINT,
  isProviderName,
  PROVIDER_ENDPOINTS,
  PROVIDER_LIMITS,
  PROVIDERS,
  type ProviderEndpoint,
  type ProviderLimits,
  type ProviderName,
};
