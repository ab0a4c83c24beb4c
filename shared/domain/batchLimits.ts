import { BUILT_IN_REGISTRY, type ProviderRegistry } from '../contract/providerRegistry.js';
import type { ProviderEndpoint, ProviderLimits, ProviderName } from '../contract/providers.js';

/** The deployment's caps on batch size; null: the provider's own limit. */
interface LimitOverrides {
  readonly maxRequests: number | null;
  readonly maxBytes: number | null;
}

/**
 * Bytes kept free of lines in an Anthropic batch: its create body wraps them in
 * `{"requests":[…]}`, a few bytes more than the lines themselves.
 */
const ENVELOPE_BYTES = 64;

/** The provider's limits, lowered by deployment overrides where those are smaller. */
const effectiveLimits = (
  provider: ProviderName,
  overrides: LimitOverrides,
  registry: ProviderRegistry = BUILT_IN_REGISTRY,
): ProviderLimits => {
  const base = registry.limitsOf(provider);
  return {
    // A cap below the provider's minimum would leave no batch it accepts: the minimum wins.
    maxRequests: Math.max(
      Math.min(base.maxRequests, overrides.maxRequests ?? base.maxRequests),
      base.minRequests ?? 0,
    ),
    maxBytes: Math.min(base.maxBytes - ENVELOPE_BYTES, overrides.maxBytes ?? base.maxBytes),
    oneModelPerBatch: base.oneModelPerBatch,
  };
};

/**
 * Which requests may share a provider batch: one provider and endpoint (every line of an
 * OpenAI file must name the batch endpoint), and one model where the provider demands it.
 */
const batchGroupKey = (
  request: {
    readonly provider: ProviderName;
    readonly endpoint: ProviderEndpoint;
    readonly model: string;
  },
  registry: ProviderRegistry = BUILT_IN_REGISTRY,
): string =>
  registry.limitsOf(request.provider).oneModelPerBatch
    ? `${request.provider}|${request.endpoint}|${request.model}`
    : `${request.provider}|${request.endpoint}`;

export { batchGroupKey, effectiveLimits, type LimitOverrides };
