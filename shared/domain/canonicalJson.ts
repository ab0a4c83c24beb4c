import { createHash } from 'node:crypto';

/**
 * JSON with object keys sorted at every level, so two requests that differ only in key
 * order hash the same: a producer that re-serialises a resend must not look like a conflict.
 */
const canonicalJson = (value: unknown): string => {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
};

/** sha256 (hex) of the canonical JSON of a value. */
const hashCanonical = (value: unknown): string =>
  createHash('sha256').update(canonicalJson(value)).digest('hex');

export { canonicalJson, hashCanonical };
