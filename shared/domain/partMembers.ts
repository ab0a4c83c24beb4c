import type { Destination } from '../contract/destination.js';
import type { BatchItem, ItemLane, JsonValue } from './records.js';

/**
 * What a batch holds lives in S3 beside its lines, not in one item per member: each part's
 * object `parts/<n>.jsonl` (the provider lines, concatenated byte for byte into the input
 * file) has a sidecar `parts/<n>.members.jsonl` with one line per member, in the same order,
 * holding what completion needs to route a result and what sealing needs to settle a claim
 * its collector did not finish (hash and ledger expiry). Two objects rather than one: the
 * assembly stays a byte copy of the lines, and completion reads only the small sidecars.
 */
const partMembersKeyOf = (batchId: string, partNo: number): string =>
  `batches/${batchId}/parts/${partNo.toString().padStart(6, '0')}.members.jsonl`;

/** A member as its part's sidecar holds it, with what its ledger claim is written from. */
interface PartMemberLine {
  readonly item: BatchItem;
  readonly requestHash: string;
  /** Epoch seconds after which the ledger may forget the id (DynamoDB TTL). */
  readonly expiresAt: number;
}

/** The sidecar line of a member: short names, a member's fields that are not per-delivery. */
const encodePartMember = ({ item, requestHash, expiresAt }: PartMemberLine): string =>
  `${JSON.stringify({
    i: item.providerCustomId,
    p: item.producer,
    c: item.customId,
    m: item.model,
    d: item.destination,
    md: item.metadata,
    n: item.attempts,
    a: item.acceptedAt,
    dl: item.deadline,
    l: item.lane,
    h: requestHash,
    x: expiresAt,
  })}\n`;

interface EncodedMember {
  readonly i: string;
  readonly p: string;
  readonly c: string;
  readonly m: string;
  readonly d: Destination | null;
  readonly md: JsonValue | null;
  readonly n: number;
  readonly a: string;
  readonly dl: string | null;
  readonly l: ItemLane;
  readonly h: string;
  readonly x: number;
}

/**
 * Reads a sidecar line back. Destinations repeat across a batch's members: `intern` lets a
 * reader keep one object per distinct destination, so a 100,000-member table stays small.
 */
const decodePartMember = (
  batchId: string,
  line: string,
  intern: (destination: Destination | null) => Destination | null = (d) => d,
): PartMemberLine => {
  const e = JSON.parse(line) as EncodedMember;
  if (typeof e.i !== 'string' || typeof e.c !== 'string' || typeof e.h !== 'string') {
    throw new TypeError(`malformed member line in a part of batch ${batchId}`);
  }
  return {
    item: {
      batchId,
      providerCustomId: e.i,
      producer: e.p ?? '',
      customId: e.c,
      model: e.m,
      destination: intern(e.d ?? null),
      metadata: e.md ?? null,
      attempts: e.n ?? 1,
      acceptedAt: e.a,
      deadline: e.dl ?? null,
      status: null,
      deliveredAt: null,
      escalatedAt: null,
      lane: e.l ?? { requested: 'batch', reason: 'tier batch' },
      cost: null,
    },
    requestHash: e.h,
    expiresAt: e.x,
  };
};

/** One object per distinct destination (by its JSON), for {@link decodePartMember}. */
const destinationInterner = (): ((d: Destination | null) => Destination | null) => {
  const seen = new Map<string, Destination>();
  return (destination) => {
    if (destination === null) return null;
    const key = JSON.stringify(destination);
    const known = seen.get(key);
    if (known !== undefined) return known;
    seen.set(key, destination);
    return destination;
  };
};

export {
  decodePartMember,
  destinationInterner,
  encodePartMember,
  type PartMemberLine,
  partMembersKeyOf,
};
