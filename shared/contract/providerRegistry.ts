import {
  isRealtimeOnly,
  LANES,
  type LaneRow,
  type LaneRule,
  profileLanes,
  type Unsupported,
} from './lanes.js';
import { BUILT_IN_PROFILES, type ProviderProfile } from './providerProfile.js';
import {
  DEFAULT_ENDPOINT,
  isBuiltInProvider,
  PROVIDER_ENDPOINTS,
  PROVIDER_LIMITS,
  PROVIDERS,
  type ProviderEndpoint,
  type ProviderLimits,
  type ProviderName,
} from './providers.js';
import type { Tier } from './request.js';

/**
 * The providers one deployment knows, and the one place that answers for any of them: the
 * built-in providers from their typed tables, every profile (built in, or the deployment's
 * own) from its profile data. Built from the configuration in the composition root and
 * handed to what needs it; {@link BUILT_IN_REGISTRY} knows the built-in providers only.
 */
interface ProviderRegistry {
  /** Every provider id known: the built-in ones, then the deployment's profiles. */
  readonly ids: readonly ProviderName[];
  /** The profile behind an id (built in with the deployment's changes, or its own). */
  readonly profiles: Readonly<Record<ProviderName, ProviderProfile>>;
  /** Whether the id names a provider this deployment knows (enabled or not). */
  has(id: string): boolean;
  /** The endpoints the provider takes in batch. */
  endpointsOf(id: ProviderName): readonly ProviderEndpoint[];
  /** The endpoint of a request that names none. */
  defaultEndpointOf(id: ProviderName): ProviderEndpoint;
  /** What one of its batches may hold. */
  limitsOf(id: ProviderName): ProviderLimits;
  /** Its row of the lanes table. */
  lanesOf(id: ProviderName): LaneRow;
  /** The rule for one tier, or why the provider does not take it. */
  laneRuleOf(id: ProviderName, tier: Tier): LaneRule | Unsupported;
  /** Whether every tier it takes is served synchronously (it has no batch API). */
  needsRealtimeLane(id: ProviderName): boolean;
}

/** A profile's defaults where OpenAI's Batch API sets them. */
const PROFILE_DEFAULT_ENDPOINT: ProviderEndpoint = '/v1/chat/completions';

const limitsOfProfile = (profile: ProviderProfile): ProviderLimits => ({
  maxRequests: profile.limits.maxRequests,
  maxBytes: profile.limits.maxBytes,
  // Every line of an OpenAI batch file names the batch's model: one model per batch.
  oneModelPerBatch: true,
});

/**
 * The registry of the built-in providers and the given profiles (the built-in profiles with
 * the deployment's changes, and the deployment's own, as `resolveProfiles` gives them).
 * Asking about an id it does not know is a caller's error (intake refuses such requests):
 * it throws, naming the id.
 */
const providerRegistry = (
  profiles: Readonly<Record<ProviderName, ProviderProfile>> = BUILT_IN_PROFILES,
): ProviderRegistry => {
  const all: Record<ProviderName, ProviderProfile> = { ...BUILT_IN_PROFILES, ...profiles };
  const ids = [...PROVIDERS, ...Object.keys(all).filter((id) => !isBuiltInProvider(id))];
  const known = new Set<string>(ids);
  const profileOf = (id: ProviderName): ProviderProfile | undefined =>
    Object.hasOwn(all, id) ? all[id] : undefined;
  const unknown = (id: ProviderName): Error =>
    new Error(`provider "${id}" is neither built in nor a profile of this deployment`);
  const lanesOf = (id: ProviderName): LaneRow => {
    if (isBuiltInProvider(id)) return LANES[id];
    if (profileOf(id) !== undefined) return profileLanes(id);
    throw unknown(id);
  };
  return {
    ids,
    profiles: all,
    has: (id) => known.has(id),
    endpointsOf: (id) => {
      const profile = profileOf(id);
      if (profile !== undefined) return profile.endpoints;
      if (isBuiltInProvider(id)) return PROVIDER_ENDPOINTS[id];
      throw unknown(id);
    },
    defaultEndpointOf: (id) => {
      if (profileOf(id) !== undefined) return PROFILE_DEFAULT_ENDPOINT;
      if (isBuiltInProvider(id)) return DEFAULT_ENDPOINT[id];
      throw unknown(id);
    },
    limitsOf: (id) => {
      const profile = profileOf(id);
      if (profile !== undefined) return limitsOfProfile(profile);
      if (isBuiltInProvider(id)) return PROVIDER_LIMITS[id];
      throw unknown(id);
    },
    lanesOf,
    laneRuleOf: (id, tier) => lanesOf(id)[tier],
    needsRealtimeLane: (id) => isRealtimeOnly(lanesOf(id)),
  };
};

/** The built-in providers, with the built-in profiles as shipped. */
const BUILT_IN_REGISTRY: ProviderRegistry = providerRegistry();

export { BUILT_IN_REGISTRY, type ProviderRegistry, providerRegistry };
