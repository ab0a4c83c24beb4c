import { BUILT_IN_REGISTRY, type ProviderRegistry } from '../contract/providerRegistry.js';
import { PROVIDER_LIMITS } from '../contract/providers.js';

/** Where producers put claim-check objects in batchlane's bucket; nothing else is read. */
const CLAIMS_ROOT = 'claims/';

/** A producer key usable as one path segment of a key. */
const PRODUCER_KEY = /^[A-Za-z0-9_.-]{1,128}$/;

/**
 * The key prefix a producer's claim checks must be under: `claims/<producer>/`, so one
 * producer can never have another's object read as its request. The default producer ''
 * (a sender the deployment maps to the empty namespace, or none recorded) and a caller that
 * names no producer (`null`, `undefined`) use the shared `claims/`. A producer key that is not
 * one plain path segment (so `..` or `/`) gets no prefix at all: nothing of it is readable.
 */
const claimCheckPrefix = (producer?: string | null): string | null => {
  if (producer === undefined || producer === null || producer === '') return CLAIMS_ROOT;
  if (!PRODUCER_KEY.test(producer) || producer === '.' || producer === '..') return null;
  return `${CLAIMS_ROOT}${producer}/`;
};

const S3_URI = /^s3:\/\/([^/]+)\/(.+)$/;

/**
 * The object key a claim-check URI names, when it is in batchlane's bucket under the
 * producer's prefix (for the default producer '', directly under `claims/`); null otherwise.
 * `producer` null or undefined checks only that the key is somewhere under `claims/` (what a
 * client that does not know its producer can check). Keys with `.`/`..` or empty segments are refused too, so
 * no HTTP layer can normalize a key out of the prefix.
 */
const claimCheckKeyOf = (uri: string, bucket: string, producer?: string | null): string | null => {
  const match = S3_URI.exec(uri);
  const prefix = claimCheckPrefix(producer);
  if (match === null || prefix === null || match[1] !== bucket) return null;
  const key = match[2] ?? '';
  if (!key.startsWith(prefix) || key.length === prefix.length) return null;
  const segments = key.split('/');
  if (segments.some((segment) => segment === '' || segment === '.' || segment === '..')) {
    return null;
  }
  // Every folder under claims/ may be a producer's own: the default producer's objects are
  // the ones directly under claims/, so it cannot name a key inside another producer's prefix.
  if (producer === '' && segments.length !== 2) return null;
  return key;
};

/**
 * The largest claim-check object read for a provider, in bytes: what that provider takes in
 * one batch, the deployment's own per-batch cap when lower, and the reader's memory cap.
 * An unknown provider (the message is refused anyway) gets the smallest provider's cap.
 */
const claimCheckCapOf = (
  provider: unknown,
  caps: {
    readonly maxBytesPerBatch: number | null;
    readonly maxClaimCheckBytes: number;
    /** The providers the deployment knows (absent: the built-in ones). */
    readonly registry?: ProviderRegistry;
  },
): number => {
  const registry = caps.registry ?? BUILT_IN_REGISTRY;
  const providerMax =
    typeof provider === 'string' && registry.has(provider)
      ? registry.limitsOf(provider).maxBytes
      : Math.min(...Object.values(PROVIDER_LIMITS).map((limits) => limits.maxBytes));
  return Math.min(
    providerMax,
    caps.maxBytesPerBatch ?? Number.POSITIVE_INFINITY,
    caps.maxClaimCheckBytes,
  );
};

export { CLAIMS_ROOT, claimCheckCapOf, claimCheckKeyOf, claimCheckPrefix };
