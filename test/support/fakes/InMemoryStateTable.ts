import {
  claimDecisionOf,
  claimedEntryOf,
  memberClaimOf,
} from '../../../shared/adapters/aws/state/ledgerClaimRule.js';
import { itemToPart, type StateItem } from '../../../shared/adapters/aws/stateItemCodec.js';
import { STATE_TABLE } from '../../../shared/config/stateTableSchema.js';
import { InvalidInputError } from '../../../shared/domain/errors.js';
import type { PartMemberLine } from '../../../shared/domain/partMembers.js';
import { ledgerIdOf } from '../../../shared/domain/producer.js';
import type { BatchPart } from '../../../shared/domain/records.js';
import type { MemberClaim, PartMember } from '../../../shared/ports/BatchFilling.js';
import type { BlobStore } from '../../../shared/ports/BlobStore.js';
import type { Clock } from '../../../shared/ports/Clock.js';
import type { StateStore } from '../../../shared/ports/StateStore.js';

/** DynamoDB refuses a partition key longer than this many UTF-8 bytes. */
const MAX_PARTITION_KEY_BYTES = 2048;

interface InMemoryStateTableOptions {
  /** The bucket the parts' sidecars are read from (see `partMembers.ts`). */
  readonly blobs: BlobStore;
  /** Decides when a ledger entry's `expiresAt` has passed and the entry is swept. */
  readonly clock?: Clock;
  /** Members per page of `listItems` (default 500, as the adapter). */
  readonly itemPageSize?: number;
}

/**
 * The state table in memory, as the five state fakes share it (as the five adapters share one
 * DynamoDB table): ledger entries, batch records, exception items, part items and group
 * pointers, kept as the adapters' items (through their codec). Ledger entries whose
 * `expiresAt` has passed by the clock are gone, as DynamoDB's TTL sweep leaves them. Failures
 * queued by a fake's `failNext` are kept here per method, so a composite and its parts agree.
 */
class InMemoryStateTable {
  readonly blobs: BlobStore;
  readonly itemPageSize: number;
  readonly #clock: Clock | undefined;
  /** Ledger entries by ledger id. */
  readonly ledger = new Map<string, StateItem>();
  readonly batches = new Map<string, StateItem>();
  /** Exception items by batch, then provider custom id. */
  readonly #exceptions = new Map<string, Map<string, StateItem>>();
  /** Part items by batch, then part number. */
  readonly #parts = new Map<string, Map<number, StateItem>>();
  /** Group pointers to their `filling` batch. */
  readonly filling = new Map<string, string>();
  /** Failures queued per method by `failNext`, thrown before the call changes anything. */
  readonly #failures = new Map<keyof StateStore, Error[]>();

  constructor(options: InMemoryStateTableOptions) {
    this.blobs = options.blobs;
    this.#clock = options.clock;
    this.itemPageSize = options.itemPageSize ?? 500;
  }

  /** Queues `times` failures of `method` (see the fakes' `failNext`). */
  failNext(method: keyof StateStore, error: Error, times: number): void {
    const queued = this.#failures.get(method) ?? [];
    for (let i = 0; i < times; i++) queued.push(error);
    this.#failures.set(method, queued);
  }

  /** Throws the next failure queued for `method`, if any. */
  failIfAsked(method: keyof StateStore): void {
    const error = this.#failures.get(method)?.shift();
    if (error !== undefined) throw error;
  }

  /** The ledger entry of an id, unless its TTL has passed (then it is swept first). */
  ledgerEntry(id: string): StateItem | undefined {
    const entry = this.ledger.get(id);
    if (entry === undefined || this.#clock === undefined) return entry;
    const expiresAt = entry[STATE_TABLE.ttlAttribute];
    if (typeof expiresAt === 'number' && expiresAt * 1000 <= this.#clock.now().getTime()) {
      this.ledger.delete(id);
      return undefined;
    }
    return entry;
  }

  /** The ledger id of a request, refused as DynamoDB refuses a key too long to store. */
  storableLedgerId(producer: string, customId: string): string {
    const id = ledgerIdOf(producer, customId);
    if (Buffer.byteLength(`REQ#${id}`, 'utf8') > MAX_PARTITION_KEY_BYTES) {
      throw new InvalidInputError(
        `ledger key of ${customId.slice(0, 40)}… exceeds ${MAX_PARTITION_KEY_BYTES} bytes`,
        { code: 'invalid_input', details: { producer } },
      );
    }
    return id;
  }

  exceptionsOfBatch(batchId: string, create = false): Map<string, StateItem> {
    let items = this.#exceptions.get(batchId);
    if (items === undefined) {
      items = new Map();
      if (create) this.#exceptions.set(batchId, items);
    }
    return items;
  }

  /** A member's exception item, made bare when absent (as an update makes it). */
  exceptionItem(batchId: string, providerCustomId: string): StateItem {
    const items = this.exceptionsOfBatch(batchId, true);
    let item = items.get(providerCustomId);
    if (item === undefined) {
      item = {};
      items.set(providerCustomId, item);
    }
    return item;
  }

  partsOf(batchId: string): Map<number, StateItem> {
    let parts = this.#parts.get(batchId);
    if (parts === undefined) {
      parts = new Map();
      this.#parts.set(batchId, parts);
    }
    return parts;
  }

  /** The parts of a batch that were opened, in order (a part sealed bare holds none). */
  openedParts(batchId: string): BatchPart[] {
    return [...(this.#parts.get(batchId) ?? new Map<number, StateItem>())]
      .filter(([, item]) => typeof item.first_index === 'number')
      .sort(([a], [b]) => a - b)
      .map(([partNo, item]) => itemToPart(structuredClone(item), batchId, partNo));
  }

  /**
   * The adapter's ledger claim put, decided by the same rule (`claimDecisionOf`) applied to the
   * map: the entry written when the rule takes it, what it found answered otherwise.
   */
  claimMember(member: PartMemberLine, now: string): MemberClaim {
    let id: string;
    try {
      id = this.storableLedgerId(member.item.producer, member.item.customId);
    } catch (error) {
      if (error instanceof InvalidInputError) return 'unstorable';
      throw error;
    }
    const decision = claimDecisionOf(this.ledgerEntry(id), member, now);
    if (decision === 'take') this.ledger.set(id, claimedEntryOf(member));
    return memberClaimOf(decision);
  }

  claimAll(members: readonly PartMember[], now: string): MemberClaim[] {
    return members.map((member) => this.claimMember(member, now));
  }
}

/**
 * What each state fake is: a port's methods over a shared {@link InMemoryStateTable} (a fresh
 * one of its own when given options instead), with `failNext` for that port's methods.
 */
abstract class InMemoryStatePort<Port> {
  readonly table: InMemoryStateTable;

  constructor(table: InMemoryStateTable | InMemoryStateTableOptions) {
    this.table = table instanceof InMemoryStateTable ? table : new InMemoryStateTable(table);
  }

  /**
   * Makes the next `times` calls of `method` reject with `error` before they change anything,
   * as a throttled or unreachable table would (an error from `shared/domain/errors.ts`, e.g.
   * `UnavailableError`, so callers see what the adapter would throw them).
   */
  failNext(method: keyof Port & keyof StateStore, error: Error, times = 1): void {
    this.table.failNext(method, error, times);
  }
}

export { InMemoryStatePort, InMemoryStateTable, type InMemoryStateTableOptions };
