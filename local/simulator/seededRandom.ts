/**
 * Deterministic randomness. Everything the simulator "decides" (ids, outcomes, timings, text,
 * faults) is a hash of the seed and the thing being decided, so a run with the same seed and
 * the same inputs produces the same bytes, independent of call order. The hash is cyrb53, a
 * fast non-cryptographic 53-bit hash: there is nothing to protect, and batches of 100,000
 * requests hash every request several times per look.
 */
const cyrb53 = (text: string, salt = 0): number => {
  let h1 = 0xdeadbeef ^ salt;
  let h2 = 0x41c6ce57 ^ salt;
  for (let i = 0; i < text.length; i += 1) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
};

const keyOf = (parts: readonly (string | number)[]): string => parts.join('\u0000');

/** A number in [0, 1) derived from the parts. */
const hashUnit = (...parts: (string | number)[]): number => cyrb53(keyOf(parts)) / 2 ** 53;

/** A small fast PRNG (mulberry32) for long deterministic sequences such as text or vectors. */
const createRng = (...parts: (string | number)[]): (() => number) => {
  let state = cyrb53(keyOf(parts)) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000;
  };
};

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A base62 string of `length` characters derived from the parts (id suffixes). */
const hashId = (length: number, ...parts: (string | number)[]): string => {
  // Two independently salted hashes seed the generator, so ids have ~64 bits of entropy.
  const key = keyOf(parts);
  let a = cyrb53(key, 1) >>> 0;
  let b = cyrb53(key, 2) >>> 0;
  let out = '';
  while (out.length < length) {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1) ^ b;
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    b = Math.imul(b ^ (b >>> 13), 0x5bd1e995) | 0;
    out += BASE62[((t ^ (t >>> 14)) >>> 0) % 62];
  }
  return out;
};

/** A deterministic permutation of 0..n-1 (Fisher-Yates with a seeded PRNG). */
const seededPermutation = (n: number, ...parts: (string | number)[]): number[] => {
  const order = Array.from({ length: n }, (_, i) => i);
  const rng = createRng(...parts);
  for (let i = n - 1; i > 0; i -= 1) {
    const j = Math.floor(rng() * (i + 1));
    const tmp = order[i]!;
    order[i] = order[j]!;
    order[j] = tmp;
  }
  return order;
};

export { createRng, hashId, hashUnit, seededPermutation };
