import {
  PROVIDER_LIMITS,
  type ProviderEndpoint,
  type ProviderLimits,
  type ProviderName,
} from '../contract/providers.js';

/** What packing needs to know about one request. */
interface PackableRequest {
  readonly provider: ProviderName;
  readonly endpoint: ProviderEndpoint;
  readonly model: string;
  /** Bytes of the request's provider-format line, newline included. */
  readonly lineBytes: number;
}

interface PlannedBatch<T extends PackableRequest> {
  readonly provider: ProviderName;
  readonly endpoint: ProviderEndpoint;
  readonly models: string[];
  readonly requests: T[];
  readonly bytes: number;
}

interface LimitOverrides {
  readonly maxRequests: number | null;
  readonly maxBytes: number | null;
}

/** The provider's limits, lowered by deployment overrides where those are smaller. */
const effectiveLimits = (provider: ProviderName, overrides: LimitOverrides): ProviderLimits => {
  const base = PROVIDER_LIMITS[provider];
  return {
    maxRequests: Math.min(base.maxRequests, overrides.maxRequests ?? base.maxRequests),
    maxBytes: Math.min(base.maxBytes, overrides.maxBytes ?? base.maxBytes),
    oneModelPerBatch: base.oneModelPerBatch,
  };
};

/**
 * Which requests may share a provider batch: one provider and endpoint (every line of an
 * OpenAI file must name the batch endpoint), and one model where the provider demands it.
 */
const batchGroupKey = (request: PackableRequest): string =>
  PROVIDER_LIMITS[request.provider].oneModelPerBatch
    ? `${request.provider}|${request.endpoint}|${request.model}`
    : `${request.provider}|${request.endpoint}`;

/**
 * Groups requests into provider batches: one provider and endpoint per batch (every line of
 * an OpenAI file must name the batch endpoint), one model per batch where the provider
 * demands it, and never more requests or bytes than the provider accepts. Order within a
 * group is kept, so the oldest requests go first.
 */
const planBatches = <T extends PackableRequest>(
  requests: readonly T[],
  overrides: LimitOverrides,
): PlannedBatch<T>[] => {
  const groups = new Map<string, T[]>();
  for (const request of requests) {
    const key = batchGroupKey(request);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [request]);
    else group.push(request);
  }

  const planned: PlannedBatch<T>[] = [];
  for (const group of groups.values()) {
    const first = group[0];
    if (first === undefined) continue;
    const limits = effectiveLimits(first.provider, overrides);
    let current: T[] = [];
    let bytes = 0;
    const flush = (): void => {
      if (current.length === 0) return;
      planned.push({
        provider: first.provider,
        endpoint: first.endpoint,
        models: [...new Set(current.map((r) => r.model))].sort(),
        requests: current,
        bytes,
      });
      current = [];
      bytes = 0;
    };
    for (const request of group) {
      if (current.length >= limits.maxRequests || bytes + request.lineBytes > limits.maxBytes)
        flush();
      current.push(request);
      bytes += request.lineBytes;
    }
    flush();
  }
  return planned;
};

export {
  batchGroupKey,
  effectiveLimits,
  type LimitOverrides,
  type PackableRequest,
  type PlannedBatch,
  planBatches,
};
