/**
 * Providers and the endpoints batchlane can send to each of them, with their batch limits.
 * Limits come from the providers' own documentation (see README, "Provider limits"); where a
 * provider names none, batchlane's own cap.
 */
import { z } from 'zod';
import {
  BUILT_IN_PROFILE_IDS,
  BUILT_IN_PROFILES,
  type BuiltInProfileId,
  PROFILE_ID_PATTERN,
  type ProviderProfile,
} from './providerProfile.js';

/** The providers batchlane ships: each has its own adapter, or is a built-in profile. */
const PROVIDERS = [
  'anthropic',
  'openai',
  'gemini',
  'bedrock',
  'mistral',
  'deepseek',
  ...BUILT_IN_PROFILE_IDS,
] as const;
type BuiltInProviderName = (typeof PROVIDERS)[number];

/**
 * A provider id as requests, batches, results and events carry it: a built-in provider or the
 * id of a profile the deployment defines (CDK context `providerProfiles`). Which ids a
 * deployment knows is its {@link ProviderRegistry} (`providerRegistry.ts`); the typed tables
 * below are indexed only after {@link isBuiltInProvider} has narrowed an id.
 */
type ProviderName = string;

/**
 * What every provider id is made of (the profile id rule): 3 to 32 characters of a-z, 0-9 and
 * `-`, starting with a letter. The JSON schemas publish this pattern; which ids are known is
 * the deployment's.
 */
const PROVIDER_ID_PATTERN: RegExp = PROFILE_ID_PATTERN;

/** A provider id on what batchlane writes (results, events, jobs): the pattern, not a list. */
const ProviderIdSchema = z
  .string()
  .regex(PROVIDER_ID_PATTERN)
  .describe('A built-in provider or the id of a provider profile the deployment defines');

/**
 * Providers a deployment talks to when it names none. Providers added later are opted into
 * (`enabledProviders`), so an existing deployment never starts needing a key it lacks.
 */
const DEFAULT_ENABLED_PROVIDERS: readonly BuiltInProviderName[] = ['anthropic', 'openai'];

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
} as const satisfies Record<BuiltInProviderName, readonly string[]>;

type ProviderEndpoint = (typeof PROVIDER_ENDPOINTS)[BuiltInProviderName][number];

const DEFAULT_ENDPOINT: Record<BuiltInProviderName, ProviderEndpoint> = {
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

const PROVIDER_LIMITS: Record<BuiltInProviderName, ProviderLimits> = {
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

/** Whether an id names a provider batchlane ships (its typed tables hold a row for it). */
const isBuiltInProvider = (value: unknown): value is BuiltInProviderName =>
  typeof value === 'string' && (PROVIDERS as readonly string[]).includes(value);

export {
  type BuiltInProviderName,
  DEFAULT_ENABLED_PROVIDERS,
  DEFAULT_ENDPOINT,
  isBuiltInProvider,
  PROVIDER_ENDPOINTS,
  PROVIDER_ID_PATTERN,
  PROVIDER_LIMITS,
  PROVIDERS,
  type ProviderEndpoint,
  ProviderIdSchema,
  type ProviderLimits,
  type ProviderName,
};
