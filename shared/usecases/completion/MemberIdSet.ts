import { memberIndexOf } from '../../domain/providerCustomIdOf.js';

/**
 * Member numbers below this are held in arrays indexed by number; others (and ids batchlane
 * did not make) in ordinary maps and sets. A batch's numbers stay below a few times the
 * largest provider batch; a result line naming `r999999999` must not allocate for it.
 */
const DENSE_INDEX_LIMIT = 1 << 21;

/** The member number of an id, when it is one to hold by number; else -1. */
const denseIndexOf = (providerCustomId: string): number => {
  const index = memberIndexOf(providerCustomId);
  return index < DENSE_INDEX_LIMIT ? index : -1;
};

/**
 * A set of provider custom ids that holds the ones batchlane made (`r000042`) as one bit per
 * member number: the run notes every member the results answered, and 100,000 id strings in
 * a `Set` would cost megabytes of heap. Other ids (a result line naming something unknown)
 * go to an ordinary set.
 */
class MemberIdSet {
  #bits = new Uint8Array(0);
  readonly #others = new Set<string>();
  #size = 0;

  get size(): number {
    return this.#size;
  }

  add(providerCustomId: string): this {
    const index = denseIndexOf(providerCustomId);
    if (index < 0) {
      if (!this.#others.has(providerCustomId)) this.#size += 1;
      this.#others.add(providerCustomId);
      return this;
    }
    const byte = index >>> 3;
    if (byte >= this.#bits.length) {
      const next = new Uint8Array(Math.max(byte + 1, this.#bits.length * 2, 1024));
      next.set(this.#bits);
      this.#bits = next;
    }
    const mask = 1 << (index & 7);
    if (((this.#bits[byte] as number) & mask) === 0) this.#size += 1;
    this.#bits[byte] = (this.#bits[byte] as number) | mask;
    return this;
  }

  has(providerCustomId: string): boolean {
    const index = denseIndexOf(providerCustomId);
    if (index < 0) return this.#others.has(providerCustomId);
    return (((this.#bits[index >>> 3] ?? 0) >> (index & 7)) & 1) === 1;
  }
}

export { denseIndexOf, MemberIdSet };
