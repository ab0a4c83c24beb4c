import type { Destination } from '../../contract/destination.js';
import type { BatchItem, ItemCost, ItemLane, ItemStatus, JsonValue } from '../../domain/records.js';
import { denseIndexOf } from './MemberIdSet.js';

/** Bytes per slab: members are appended to the last slab, a new one begun when it is full. */
const SLAB_BYTES = 1 << 20;

/**
 * Dead bytes (left behind by an id set again with an encoding that outgrew its place) are
 * compacted away once they pass this share of the bytes written into the slabs, and at least
 * a slab's worth: each compaction then copies no more than the dead bytes it frees, so setting
 * again stays amortised constant time per byte, and the slabs hold at most about twice what is
 * live.
 */
const COMPACT_DEAD_SHARE = 0.5;

/** A member as a tuple, in the order {@link packMember} writes it (batchId is the table's). */
type PackedTuple = [
  providerCustomId: string,
  producer: number,
  customId: string,
  model: number,
  destination: number,
  metadata: JsonValue | null,
  attempts: number,
  acceptedAt: string,
  deadline: string | null,
  lane: number,
  status: ItemStatus | null,
  deliveredAt: string | null,
  escalatedAt: string | null,
  cost: ItemCost | null,
  retryAt: string | null,
  undeliveredAt: string | null,
];

/**
 * Values many members share (destinations, models, producers, lanes), kept once each and
 * written into a member as their number: smaller tuples, and one object per distinct value.
 */
class SharedValues<T> {
  readonly #values: T[] = [];
  readonly #numbers = new Map<string, number>();

  numberOf(value: T, key: string): number {
    const known = this.#numbers.get(key);
    if (known !== undefined) return known;
    this.#values.push(value);
    this.#numbers.set(key, this.#values.length - 1);
    return this.#values.length - 1;
  }

  valueOf(n: number): T {
    return this.#values[n] as T;
  }
}

/** Grows a typed array to hold at least `length` entries, doubling. */
const grown = <T extends Float64Array | Int32Array>(
  array: T,
  length: number,
  make: (size: number) => T,
): T => {
  if (length <= array.length) return array;
  const next = make(Math.max(length, array.length * 2, 1024));
  next.set(array);
  return next;
};

/**
 * A batch's members as one completion run holds them: compact, decoded one at a time when its
 * result comes. Results come back in any order, so a run needs every member at hand; decoded,
 * one costs about 330 bytes of V8 heap, and V8 lets its heap grow to several times what it
 * holds before it collects, so 100,000 decoded members took a run to 461 MB. Here each member
 * is a short JSON tuple written into 1 MiB byte slabs outside the V8 heap, found by typed
 * arrays indexed by member number: about 200 bytes a member with a little metadata, 20 MB for
 * 100,000, which the heap's growth does not multiply. What many members share (destinations,
 * models, producers, lanes) is kept once and written as its number.
 *
 * Map-like: `get`, `set` (the last write for an id wins), `has`, `size`, `values()`. An id
 * set again keeps its slot: its new bytes overwrite the old ones when they fit there, else
 * they are appended and the old ones counted dead, and the slabs are compacted once the dead
 * share passes {@link COMPACT_DEAD_SHARE} (see `bytesHeld`).
 */
class PackedMembers {
  readonly #batchId: string;
  #slabs: Buffer[] = [];
  #slabUsed = SLAB_BYTES;
  /** Per slot: where its bytes start (slab × SLAB_BYTES + offset) and how many. */
  #starts = new Float64Array(0);
  #lengths = new Int32Array(0);
  #slots = 0;
  /** Bytes written into the slabs, live or dead, and of those the ones no slot points at. */
  #writtenBytes = 0;
  #deadBytes = 0;
  /** Slot + 1 per member number (0: none). */
  #slotOfIndex = new Int32Array(0);
  /** Slots of ids that {@link denseIndexOf} does not number. */
  readonly #slotOfId = new Map<string, number>();
  #size = 0;
  readonly #destinations = new SharedValues<Destination>();
  readonly #strings = new SharedValues<string>();
  readonly #lanes = new SharedValues<ItemLane>();

  constructor(batchId: string) {
    this.#batchId = batchId;
  }

  get size(): number {
    return this.#size;
  }

  /** Bytes the slabs hold outside the V8 heap, used or not (what the table costs in memory). */
  bytesHeld(): number {
    let held = 0;
    for (const slab of this.#slabs) held += slab.length;
    return held;
  }

  has(providerCustomId: string): boolean {
    return this.#slotOf(providerCustomId) >= 0;
  }

  get(providerCustomId: string): BatchItem | undefined {
    const slot = this.#slotOf(providerCustomId);
    return slot < 0 ? undefined : this.#decode(slot);
  }

  set(providerCustomId: string, item: BatchItem): this {
    const known = this.#slotOf(providerCustomId);
    if (known >= 0) {
      this.#rewrite(known, this.#encode(item));
      return this;
    }
    const slot = this.#newSlot();
    this.#place(slot, this.#encode(item));
    const index = denseIndexOf(providerCustomId);
    if (index >= 0) {
      this.#slotOfIndex = grown(this.#slotOfIndex, index + 1, (n) => new Int32Array(n));
      this.#slotOfIndex[index] = slot + 1;
    } else {
      this.#slotOfId.set(providerCustomId, slot);
    }
    this.#size += 1;
    return this;
  }

  /** Every member, decoded one at a time, in member-number order (other ids after). */
  *values(): IterableIterator<BatchItem> {
    for (const slot of this.#slotOfIndex) if (slot > 0) yield this.#decode(slot - 1);
    for (const slot of this.#slotOfId.values()) yield this.#decode(slot);
  }

  #slotOf(providerCustomId: string): number {
    const index = denseIndexOf(providerCustomId);
    if (index >= 0) return (this.#slotOfIndex[index] ?? 0) - 1;
    return this.#slotOfId.get(providerCustomId) ?? -1;
  }

  /** The member's tuple as JSON (see {@link PackedTuple}). */
  #encode(item: BatchItem): string {
    const tuple: PackedTuple = [
      item.providerCustomId,
      this.#strings.numberOf(item.producer, item.producer),
      item.customId,
      this.#strings.numberOf(item.model, item.model),
      item.destination === null
        ? -1
        : this.#destinations.numberOf(item.destination, JSON.stringify(item.destination)),
      item.metadata,
      item.attempts,
      item.acceptedAt,
      item.deadline,
      this.#lanes.numberOf(item.lane, JSON.stringify(item.lane)),
      item.status,
      item.deliveredAt,
      item.escalatedAt,
      item.cost,
      item.retryAt ?? null,
      item.undeliveredAt ?? null,
    ];
    return JSON.stringify(tuple);
  }

  #newSlot(): number {
    const slot = this.#slots;
    this.#slots += 1;
    this.#starts = grown(this.#starts, this.#slots, (n) => new Float64Array(n));
    this.#lengths = grown(this.#lengths, this.#slots, (n) => new Int32Array(n));
    return slot;
  }

  /** Appends `json` to the last slab (a new one when it does not fit) as `slot`'s bytes. */
  #place(slot: number, json: string): void {
    const length = Buffer.byteLength(json, 'utf8');
    if (this.#slabUsed + length > SLAB_BYTES) {
      // A member larger than a slab (huge metadata) gets a slab of its own size.
      this.#slabs.push(Buffer.allocUnsafe(Math.max(SLAB_BYTES, length)));
      this.#slabUsed = 0;
    }
    const slabNo = this.#slabs.length - 1;
    (this.#slabs[slabNo] as Buffer).write(json, this.#slabUsed, 'utf8');
    this.#starts[slot] = slabNo * SLAB_BYTES + this.#slabUsed;
    this.#lengths[slot] = length;
    this.#slabUsed += length;
    this.#writtenBytes += length;
  }

  /**
   * A held id's new bytes: over its old ones when they fit (the rest of its place is dead),
   * else appended (all of its old place is dead); then compacts if the dead share asks for it.
   */
  #rewrite(slot: number, json: string): void {
    const oldLength = this.#lengths[slot] as number;
    const length = Buffer.byteLength(json, 'utf8');
    if (length <= oldLength) {
      const start = this.#starts[slot] as number;
      const slab = this.#slabs[Math.floor(start / SLAB_BYTES)] as Buffer;
      slab.write(json, start % SLAB_BYTES, 'utf8');
      this.#lengths[slot] = length;
      this.#deadBytes += oldLength - length;
    } else {
      this.#place(slot, json);
      this.#deadBytes += oldLength;
    }
    if (
      this.#deadBytes >= SLAB_BYTES &&
      this.#deadBytes > this.#writtenBytes * COMPACT_DEAD_SHARE
    ) {
      this.#compact();
    }
  }

  /**
   * Copies every slot's live bytes, in slot order, into fresh slabs and lets the old ones go:
   * one pass over the live bytes, no member decoded.
   */
  #compact(): void {
    const old = this.#slabs;
    this.#slabs = [];
    this.#slabUsed = SLAB_BYTES;
    this.#writtenBytes = 0;
    this.#deadBytes = 0;
    for (let slot = 0; slot < this.#slots; slot++) {
      const start = this.#starts[slot] as number;
      const length = this.#lengths[slot] as number;
      const from = old[Math.floor(start / SLAB_BYTES)] as Buffer;
      if (this.#slabUsed + length > SLAB_BYTES) {
        this.#slabs.push(Buffer.allocUnsafe(Math.max(SLAB_BYTES, length)));
        this.#slabUsed = 0;
      }
      const slabNo = this.#slabs.length - 1;
      const offset = start % SLAB_BYTES;
      from.copy(this.#slabs[slabNo] as Buffer, this.#slabUsed, offset, offset + length);
      this.#starts[slot] = slabNo * SLAB_BYTES + this.#slabUsed;
      this.#slabUsed += length;
      this.#writtenBytes += length;
    }
  }

  #decode(slot: number): BatchItem {
    const start = this.#starts[slot] as number;
    const slab = this.#slabs[Math.floor(start / SLAB_BYTES)] as Buffer;
    const offset = start % SLAB_BYTES;
    const t = JSON.parse(
      slab.toString('utf8', offset, offset + (this.#lengths[slot] as number)),
    ) as PackedTuple;
    return {
      batchId: this.#batchId,
      providerCustomId: t[0],
      producer: this.#strings.valueOf(t[1]),
      customId: t[2],
      model: this.#strings.valueOf(t[3]),
      destination: t[4] < 0 ? null : this.#destinations.valueOf(t[4]),
      metadata: t[5],
      attempts: t[6],
      acceptedAt: t[7],
      deadline: t[8],
      lane: this.#lanes.valueOf(t[9]),
      status: t[10],
      deliveredAt: t[11],
      escalatedAt: t[12],
      cost: t[13],
      // Absent rather than null, as the store gives members without them.
      ...(t[14] === null ? {} : { retryAt: t[14] }),
      ...(t[15] === null ? {} : { undeliveredAt: t[15] }),
    };
  }
}

export { PackedMembers };
