import type { Destination } from '../../contract/destination.js';
import type { BatchItem, ItemCost, ItemLane, ItemStatus, JsonValue } from '../../domain/records.js';
import { denseIndexOf } from './MemberIdSet.js';

/** Bytes per slab: members are appended to the last slab, a new one begun when it is full. */
const SLAB_BYTES = 1 << 20;

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
 * Map-like: `get`, `set` (the last write for an id wins), `has`, `size`, `values()`.
 */
class PackedMembers {
  readonly #batchId: string;
  readonly #slabs: Buffer[] = [];
  #slabUsed = SLAB_BYTES;
  /** Per slot: where its bytes start (slab × SLAB_BYTES + offset) and how many. */
  #starts = new Float64Array(0);
  #lengths = new Int32Array(0);
  #slots = 0;
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

  has(providerCustomId: string): boolean {
    return this.#slotOf(providerCustomId) >= 0;
  }

  get(providerCustomId: string): BatchItem | undefined {
    const slot = this.#slotOf(providerCustomId);
    return slot < 0 ? undefined : this.#decode(slot);
  }

  set(providerCustomId: string, item: BatchItem): this {
    const slot = this.#append(item);
    const index = denseIndexOf(providerCustomId);
    if (index >= 0) {
      this.#slotOfIndex = grown(this.#slotOfIndex, index + 1, (n) => new Int32Array(n));
      if (this.#slotOfIndex[index] === 0) this.#size += 1;
      this.#slotOfIndex[index] = slot + 1;
    } else {
      if (!this.#slotOfId.has(providerCustomId)) this.#size += 1;
      this.#slotOfId.set(providerCustomId, slot);
    }
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

  #append(item: BatchItem): number {
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
    const bytes = Buffer.from(JSON.stringify(tuple), 'utf8');
    if (this.#slabUsed + bytes.length > SLAB_BYTES) {
      // A member larger than a slab (huge metadata) gets a slab of its own size.
      this.#slabs.push(Buffer.allocUnsafe(Math.max(SLAB_BYTES, bytes.length)));
      this.#slabUsed = 0;
    }
    const slabNo = this.#slabs.length - 1;
    bytes.copy(this.#slabs[slabNo] as Buffer, this.#slabUsed);
    const slot = this.#slots;
    this.#slots += 1;
    this.#starts = grown(this.#starts, this.#slots, (n) => new Float64Array(n));
    this.#lengths = grown(this.#lengths, this.#slots, (n) => new Int32Array(n));
    this.#starts[slot] = slabNo * SLAB_BYTES + this.#slabUsed;
    this.#lengths[slot] = bytes.length;
    this.#slabUsed += bytes.length;
    return slot;
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
