import { claimOutcomeOf } from '../../../shared/adapters/aws/claimOperations.js';
import {
  ACTIVE_PARTITION,
  batchItemToItem,
  batchToItem,
  EST_NANO,
  EST_REQUESTS,
  EST_TOKENS,
  itemToBatch,
  itemToBatchItem,
  itemToException,
  itemToPart,
  itemToRequest,
  pagesOfMembers,
  partToItem,
  requestToItem,
  type StateItem,
  withException,
} from '../../../shared/adapters/aws/stateItemCodec.js';
import { STATE_TABLE } from '../../../shared/config/stateTableSchema.js';
import { ConflictError, InvalidInputError, NotFoundError } from '../../../shared/domain/errors.js';
import {
  decodePartMember,
  destinationInterner,
  type PartMemberLine,
  partMembersKeyOf,
} from '../../../shared/domain/partMembers.js';
import { ledgerIdOf } from '../../../shared/domain/producer.js';
import { providerCustomIdOf } from '../../../shared/domain/providerCustomIdOf.js';
import type {
  BatchItem,
  BatchPart,
  BatchRecord,
  RequestRecord,
} from '../../../shared/domain/records.js';
import { splitLines } from '../../../shared/domain/splitLines.js';
import type { BlobStore } from '../../../shared/ports/BlobStore.js';
import type { Clock } from '../../../shared/ports/Clock.js';
import type {
  BatchPatch,
  ItemDelivery,
  MemberClaim,
  MemberException,
  PartMember,
  PartReservation,
  RealtimeLease,
  RealtimeTarget,
  RegisterOutcome,
  RegisterRequestInput,
  ReservedPart,
  StateStore,
} from '../../../shared/ports/StateStore.js';

/** DynamoDB refuses a partition key longer than this many UTF-8 bytes. */
const MAX_PARTITION_KEY_BYTES = 2048;

interface InMemoryStateStoreOptions {
  /** The bucket the parts' sidecars are read from (see `partMembers.ts`). */
  readonly blobs: BlobStore;
  /** Decides when a ledger entry's `expiresAt` has passed and the entry is swept. */
  readonly clock?: Clock;
  /** Members per page of `listItems` (default 500, as the adapter). */
  readonly itemPageSize?: number;
}

const versionConflict = (batchId: string, expectedVersion: number): ConflictError =>
  new ConflictError(`batch ${batchId} is no longer at version ${expectedVersion}`, {
    code: 'version_conflict',
    details: { batchId, expectedVersion },
  });

const partSealed = (batchId: string, partNo: number) =>
  new ConflictError(`part ${partNo} of batch ${batchId} is sealed`, {
    code: 'part_sealed',
    details: { batchId, partNo, claimedBefore: 0 },
  });

/** An attribute absent or still the null items are written with (the adapter's `UNSET`). */
const unset = (item: StateItem | undefined, name: string): boolean =>
  item === undefined || item[name] === undefined || item[name] === null;

/**
 * {@link StateStore} in memory, as `DynamoDbStateStore` behaves: the same items (through the
 * adapter's codec, so records read back exactly as they do from the table), the same
 * conditions deciding each write, the same errors. A batch's members are its parts' sidecars
 * in the given {@link BlobStore}, overlaid by exception items. Ledger entries whose
 * `expiresAt` has passed by the clock are gone, as DynamoDB's TTL sweep leaves them. Every
 * method runs to completion without yielding between its condition and its write, so
 * concurrent calls are decided one at a time, as conditional writes are. `failNext` makes a
 * method's next calls fail, for callers' tests of what a crash or an outage leaves behind.
 */
class InMemoryStateStore implements StateStore {
  readonly #blobs: BlobStore;
  readonly #clock: Clock | undefined;
  readonly #itemPageSize: number;
  /** Ledger entries by ledger id. */
  readonly #ledger = new Map<string, StateItem>();
  readonly #batches = new Map<string, StateItem>();
  /** Exception items by batch, then provider custom id. */
  readonly #exceptions = new Map<string, Map<string, StateItem>>();
  /** Part items by batch, then part number. */
  readonly #parts = new Map<string, Map<number, StateItem>>();
  readonly #filling = new Map<string, string>();
  /** Failures queued per method by `failNext`, thrown before the call changes anything. */
  readonly #failures = new Map<keyof StateStore, Error[]>();

  constructor(options: InMemoryStateStoreOptions) {
    this.#blobs = options.blobs;
    this.#clock = options.clock;
    this.#itemPageSize = options.itemPageSize ?? 500;
  }

  /**
   * Makes the next `times` calls of `method` reject with `error` before they change anything,
   * as a throttled or unreachable table would (an error from `shared/domain/errors.ts`, e.g.
   * `UnavailableError`, so callers see what the adapter would throw them).
   */
  failNext(method: keyof StateStore, error: Error, times = 1): void {
    const queued = this.#failures.get(method) ?? [];
    for (let i = 0; i < times; i++) queued.push(error);
    this.#failures.set(method, queued);
  }

  #failIfAsked(method: keyof StateStore): void {
    const error = this.#failures.get(method)?.shift();
    if (error !== undefined) throw error;
  }

  async registerRequest(input: RegisterRequestInput): Promise<RegisterOutcome> {
    this.#failIfAsked('registerRequest');
    return this.#register(input);
  }

  #register(input: RegisterRequestInput): RegisterOutcome {
    const id = this.#storableLedgerId(input.producer, input.customId);
    const existing = this.#ledgerEntry(id);
    const takesOver =
      existing === undefined ||
      (input.state === 'pending' &&
        (existing.state === 'rejecting' || existing.state === 'rejected'));
    if (takesOver) {
      const record: RequestRecord = {
        producer: input.producer,
        customId: input.customId,
        requestHash: input.requestHash,
        state: input.state,
        batchId: null,
        acceptedAt: input.acceptedAt,
        expiresAt: input.expiresAt,
      };
      this.#ledger.set(id, requestToItem(record));
      return { kind: 'new' };
    }
    const record = itemToRequest(existing);
    if (record.requestHash !== input.requestHash) return { kind: 'conflict', existing: record };
    if (record.state === 'pending') return { kind: 'pending', existing: record };
    return { kind: 'duplicate', existing: record };
  }

  async registerRequests(inputs: readonly RegisterRequestInput[]): Promise<RegisterOutcome[]> {
    this.#failIfAsked('registerRequests');
    const outcomes: RegisterOutcome[] = [];
    for (const input of inputs) outcomes.push(this.#register(input));
    return outcomes;
  }

  async markRefused(producer: string, customId: string): Promise<void> {
    this.#failIfAsked('markRefused');
    const entry = this.#ledgerEntry(ledgerIdOf(producer, customId));
    if (entry?.state === 'rejecting') entry.state = 'rejected';
  }

  async createBatch(batch: BatchRecord): Promise<void> {
    this.#failIfAsked('createBatch');
    if (this.#batches.has(batch.batchId)) {
      throw new ConflictError(`batch ${batch.batchId} already exists`, {
        code: 'conflict',
        details: { batchId: batch.batchId },
      });
    }
    this.#batches.set(batch.batchId, batchToItem(structuredClone(batch)));
  }

  async getBatch(batchId: string): Promise<BatchRecord | null> {
    this.#failIfAsked('getBatch');
    const item = this.#batches.get(batchId);
    return item === undefined ? null : itemToBatch(structuredClone(item));
  }

  async updateBatch(
    batchId: string,
    expectedVersion: number,
    patch: BatchPatch,
  ): Promise<BatchRecord> {
    this.#failIfAsked('updateBatch');
    // Read and written with no await between: the version check decides races, as the
    // adapter's conditional put does.
    const stored = this.#batches.get(batchId);
    const current = stored === undefined ? null : itemToBatch(structuredClone(stored));
    if (current === null) {
      throw new NotFoundError(`batch ${batchId} does not exist`, {
        code: 'not_found',
        details: { batchId },
      });
    }
    if (current.version !== expectedVersion) throw versionConflict(batchId, expectedVersion);
    const defined = Object.fromEntries(
      Object.entries(patch).filter(([, value]) => value !== undefined),
    ) as BatchPatch;
    const next: BatchRecord = { ...current, ...defined, version: expectedVersion + 1 };
    this.#batches.set(batchId, batchToItem(structuredClone(next)));
    return next;
  }

  async listDueBatches(now: string, limit: number): Promise<BatchRecord[]> {
    this.#failIfAsked('listDueBatches');
    if (limit < 1) return [];
    const due = [...this.#batches.values()].filter((item) => {
      const sk = item[STATE_TABLE.indexSortKey];
      return (
        item[STATE_TABLE.indexPartitionKey] === ACTIVE_PARTITION &&
        typeof sk === 'string' &&
        sk <= now
      );
    });
    const sortKey = (item: StateItem) => String(item[STATE_TABLE.indexSortKey]);
    due.sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0));
    return due.slice(0, limit).map((item) => itemToBatch(structuredClone(item)));
  }

  async getItems(
    batchId: string,
    providerCustomIds: readonly string[],
  ): Promise<Map<string, BatchItem>> {
    this.#failIfAsked('getItems');
    const exceptions = this.#exceptionsOfBatch(batchId);
    const found = new Map<string, BatchItem>();
    const wanted = new Set<string>();
    for (const id of new Set(providerCustomIds)) {
      const item = exceptions.get(id);
      if (item !== undefined && typeof item.custom_id === 'string') {
        found.set(id, itemToBatchItem(structuredClone(item)));
      } else {
        wanted.add(id);
      }
    }
    if (wanted.size === 0) return found;
    const indexes = [...wanted].map((id) => Number.parseInt(id.slice(1), 10));
    const parts = this.#openedParts(batchId).filter((part) =>
      indexes.some((i) => i >= part.firstIndex && i < part.firstIndex + part.requestCount),
    );
    for (const part of parts) {
      for await (const member of this.#partMembers(part)) {
        if (!wanted.has(member.providerCustomId)) continue;
        const item = exceptions.get(member.providerCustomId);
        found.set(
          member.providerCustomId,
          item === undefined ? member : withException(member, structuredClone(item)),
        );
      }
    }
    return found;
  }

  async *listItems(batchId: string): AsyncIterable<BatchItem[]> {
    this.#failIfAsked('listItems');
    // In sort-key order, as the adapter's query returns them.
    const exceptions = new Map(
      [...this.#exceptionsOfBatch(batchId)]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([id, item]) => [id, structuredClone(item)]),
    );
    const parts = this.#openedParts(batchId);
    yield* pagesOfMembers(this.#membersOfParts(parts), exceptions, this.#itemPageSize);
  }

  /** The members the parts' sidecars list, part after part. */
  async *#membersOfParts(parts: readonly BatchPart[]): AsyncIterable<BatchItem> {
    for (const part of parts) yield* this.#partMembers(part);
  }

  async exceptionsOf(
    batchId: string,
    providerCustomIds: readonly string[],
  ): Promise<Map<string, MemberException>> {
    this.#failIfAsked('exceptionsOf');
    const exceptions = this.#exceptionsOfBatch(batchId);
    const found = new Map<string, MemberException>();
    for (const id of new Set(providerCustomIds)) {
      const item = exceptions.get(id);
      if (item !== undefined) found.set(id, itemToException(structuredClone(item)));
    }
    return found;
  }

  async markForRetry(
    batchId: string,
    providerCustomIds: readonly string[],
    at: string,
  ): Promise<void> {
    this.#failIfAsked('markForRetry');
    this.#markExceptions(batchId, providerCustomIds, 'retry_at', at);
  }

  async markUndelivered(
    batchId: string,
    providerCustomIds: readonly string[],
    at: string,
  ): Promise<void> {
    this.#failIfAsked('markUndelivered');
    this.#markExceptions(batchId, providerCustomIds, 'undelivered_at', at);
  }

  async recordDeliveries(batchId: string, deliveries: readonly ItemDelivery[]): Promise<void> {
    this.#failIfAsked('recordDeliveries');
    for (const delivery of deliveries) {
      const item = this.#exceptionItem(batchId, delivery.providerCustomId, true);
      item.status = delivery.status;
      item.delivered_at = delivery.deliveredAt;
      item.cost = structuredClone(delivery.cost ?? null);
    }
  }

  async moveToRetryBatch(from: BatchItem, to: BatchItem, movedAt: string): Promise<boolean> {
    this.#failIfAsked('moveToRetryBatch');
    // The three writes of the adapter's transaction: all their conditions, then all of them.
    const old = this.#exceptionsOfBatch(from.batchId).get(from.providerCustomId);
    if (!unset(old, 'delivered_at')) return false;
    if (this.#exceptionsOfBatch(to.batchId).has(to.providerCustomId)) return false;
    const entry = this.#ledgerEntry(ledgerIdOf(from.producer, from.customId));
    if (entry === undefined || entry.batch_id !== from.batchId) return false;
    const moved = this.#exceptionItem(from.batchId, from.providerCustomId, true);
    moved.status = 'retried';
    moved.delivered_at = movedAt;
    moved.retried_in = to.batchId;
    this.#exceptionsOfBatch(to.batchId, true).set(
      to.providerCustomId,
      batchItemToItem(structuredClone(to)),
    );
    entry.batch_id = to.batchId;
    entry.member_id = to.providerCustomId;
    return true;
  }

  async currentFillingBatch(groupKey: string): Promise<string | null> {
    this.#failIfAsked('currentFillingBatch');
    return this.#filling.get(groupKey) ?? null;
  }

  async setFillingBatch(
    groupKey: string,
    batchId: string,
    replacing: string | null,
  ): Promise<boolean> {
    this.#failIfAsked('setFillingBatch');
    const current = this.#filling.get(groupKey);
    if (replacing === null ? current !== undefined : current !== replacing) return false;
    this.#filling.set(groupKey, batchId);
    return true;
  }

  async reservePart(batchId: string, reservation: PartReservation): Promise<ReservedPart | null> {
    this.#failIfAsked('reservePart');
    const { requests, bytes, estimate } = reservation;
    if (requests > reservation.maxRequests || bytes > reservation.maxBytes) return null;
    const item = this.#batches.get(batchId);
    if (
      item === undefined ||
      item.state !== 'filling' ||
      Number(item.request_count) > reservation.maxRequests - requests ||
      Number(item.input_bytes) > reservation.maxBytes - bytes
    ) {
      return null;
    }
    // The adapter's `ADD`s: each counter made from nothing when absent.
    const add = (name: string, value: number) => {
      item[name] = (typeof item[name] === 'number' ? item[name] : 0) + value;
    };
    add('request_count', requests);
    add('input_bytes', bytes);
    add('part_count', 1);
    add('version', 1);
    add(EST_NANO, estimate.nanoUsd);
    for (const [model, use] of Object.entries(estimate.byModel)) {
      add(`${EST_REQUESTS}${model}`, use.requests);
      add(`${EST_TOKENS}${model}`, use.tokens);
    }
    const batch = itemToBatch(structuredClone(item));
    return {
      partNo: batch.partCount ?? 1,
      firstIndex: batch.requestCount - requests,
      batchRequests: batch.requestCount,
      batchBytes: batch.inputBytes,
    };
  }

  async stopFilling(batchId: string, nextPollAt: string): Promise<BatchRecord | null> {
    this.#failIfAsked('stopFilling');
    const item = this.#batches.get(batchId);
    if (item === undefined || item.state !== 'filling') return null;
    item.state = 'sealing';
    item.next_poll_at = nextPollAt;
    item[STATE_TABLE.indexPartitionKey] = ACTIVE_PARTITION;
    item[STATE_TABLE.indexSortKey] = nextPollAt;
    item.version = Number(item.version) + 1;
    return itemToBatch(structuredClone(item));
  }

  async openPart(part: BatchPart): Promise<boolean> {
    this.#failIfAsked('openPart');
    const parts = this.#partsOf(part.batchId);
    if (parts.has(part.partNo)) return false;
    parts.set(part.partNo, partToItem(structuredClone({ ...part, state: 'open' })));
    return true;
  }

  async claimPartMembers(
    batchId: string,
    partNo: number,
    members: readonly PartMember[],
  ): Promise<MemberClaim[]> {
    this.#failIfAsked('claimPartMembers');
    if (this.#partsOf(batchId).get(partNo)?.state !== 'open') throw partSealed(batchId, partNo);
    return this.#claimAll(members);
  }

  async commitPart(
    batchId: string,
    partNo: number,
    claimed: number,
    voids: readonly string[] = [],
  ): Promise<void> {
    this.#failIfAsked('commitPart');
    const part = this.#partsOf(batchId).get(partNo);
    // Sealed first (or never opened): sealing settles the part itself.
    if (part?.state !== 'open') return;
    part.claimed = claimed;
    part.voids = [...voids];
  }

  async sealParts(batchId: string, partCount: number): Promise<BatchPart[]> {
    this.#failIfAsked('sealParts');
    const parts = this.#partsOf(batchId);
    const sealed: BatchPart[] = [];
    for (let partNo = 1; partNo <= partCount; partNo++) {
      const old = parts.get(partNo);
      // A part not yet recorded is sealed bare, so its collector's `openPart` fails.
      if (old === undefined) {
        parts.set(partNo, { state: 'sealed' });
        continue;
      }
      old.state = 'sealed';
      if (typeof old.first_index === 'number') {
        sealed.push(itemToPart(structuredClone(old), batchId, partNo));
      }
    }
    const settled: BatchPart[] = [];
    for (const part of sealed) {
      settled.push(part.claimed === null ? await this.#settlePart(part) : part);
    }
    return settled;
  }

  async markRealtime(producer: string, customId: string, requestHash: string): Promise<boolean> {
    this.#failIfAsked('markRealtime');
    const entry = this.#ledgerEntry(ledgerIdOf(producer, customId));
    if (entry?.state !== 'pending' || entry.request_hash !== requestHash) return false;
    entry.state = 'realtime';
    return true;
  }

  async escalateMember(batchId: string, providerCustomId: string, at: string): Promise<boolean> {
    this.#failIfAsked('escalateMember');
    const state = this.#batches.get(batchId)?.state;
    if (state !== 'submitted' && state !== 'open') return false;
    const old = this.#exceptionsOfBatch(batchId).get(providerCustomId);
    if (!unset(old, 'delivered_at') || !unset(old, 'escalated_at')) return false;
    this.#exceptionItem(batchId, providerCustomId, true).escalated_at = at;
    return true;
  }

  async leaseRealtime(target: RealtimeTarget, until: string, now: string): Promise<RealtimeLease> {
    this.#failIfAsked('leaseRealtime');
    const item = this.#realtimeItem(target);
    if (item === undefined) return 'missing';
    if (typeof item.delivered_at === 'string') return 'done';
    const lease = item.realtime_lease_until;
    // As DynamoDB compares a string with `<`: a lease of another type never lapses.
    if (lease !== undefined && !(typeof lease === 'string' && lease < now)) return 'busy';
    item.realtime_lease_until = until;
    return 'leased';
  }

  async releaseRealtime(target: RealtimeTarget): Promise<void> {
    this.#failIfAsked('releaseRealtime');
    const item = this.#realtimeItem(target);
    if (item !== undefined) delete item.realtime_lease_until;
  }

  async finishRealtime(
    target: RealtimeTarget,
    delivery: Omit<ItemDelivery, 'providerCustomId'>,
  ): Promise<void> {
    this.#failIfAsked('finishRealtime');
    const item = this.#realtimeItem(target);
    if (item === undefined) {
      const where =
        target.kind === 'request'
          ? `REQ#${ledgerIdOf(target.producer, target.customId)}/REQ`
          : `BATCH#${target.batchId}/ITEM#${target.providerCustomId}`;
      throw new NotFoundError(`realtime target ${where} does not exist`, { code: 'not_found' });
    }
    item.status = delivery.status;
    item.delivered_at = delivery.deliveredAt;
    item.cost = structuredClone(delivery.cost ?? null);
    delete item.realtime_lease_until;
  }

  /** The ledger entry of an id, unless its TTL has passed (then it is swept first). */
  #ledgerEntry(id: string): StateItem | undefined {
    const entry = this.#ledger.get(id);
    if (entry === undefined || this.#clock === undefined) return entry;
    const expiresAt = entry[STATE_TABLE.ttlAttribute];
    if (typeof expiresAt === 'number' && expiresAt * 1000 <= this.#clock.now().getTime()) {
      this.#ledger.delete(id);
      return undefined;
    }
    return entry;
  }

  /** The ledger id of a request, refused as DynamoDB refuses a key too long to store. */
  #storableLedgerId(producer: string, customId: string): string {
    const id = ledgerIdOf(producer, customId);
    if (Buffer.byteLength(`REQ#${id}`, 'utf8') > MAX_PARTITION_KEY_BYTES) {
      throw new InvalidInputError(
        `ledger key of ${customId.slice(0, 40)}… exceeds ${MAX_PARTITION_KEY_BYTES} bytes`,
        { code: 'invalid_input', details: { producer } },
      );
    }
    return id;
  }

  #realtimeItem(target: RealtimeTarget): StateItem | undefined {
    return target.kind === 'request'
      ? this.#ledgerEntry(ledgerIdOf(target.producer, target.customId))
      : this.#exceptionsOfBatch(target.batchId).get(target.providerCustomId);
  }

  #exceptionsOfBatch(batchId: string, create = false): Map<string, StateItem> {
    let items = this.#exceptions.get(batchId);
    if (items === undefined) {
      items = new Map();
      if (create) this.#exceptions.set(batchId, items);
    }
    return items;
  }

  /** A member's exception item; with `create`, made bare when absent (as an update makes it). */
  #exceptionItem(batchId: string, providerCustomId: string, create: true): StateItem {
    const items = this.#exceptionsOfBatch(batchId, create);
    let item = items.get(providerCustomId);
    if (item === undefined) {
      item = {};
      items.set(providerCustomId, item);
    }
    return item;
  }

  #markExceptions(
    batchId: string,
    providerCustomIds: readonly string[],
    attribute: 'retry_at' | 'undelivered_at',
    at: string,
  ): void {
    for (const id of new Set(providerCustomIds)) {
      const item = this.#exceptionItem(batchId, id, true);
      // The first time stands: a rerun marking it again changes nothing.
      if (item[attribute] === undefined) item[attribute] = at;
    }
  }

  #partsOf(batchId: string): Map<number, StateItem> {
    let parts = this.#parts.get(batchId);
    if (parts === undefined) {
      parts = new Map();
      this.#parts.set(batchId, parts);
    }
    return parts;
  }

  /** The parts of a batch that were opened, in order (a part sealed bare holds none). */
  #openedParts(batchId: string): BatchPart[] {
    return [...(this.#parts.get(batchId) ?? new Map<number, StateItem>())]
      .filter(([, item]) => typeof item.first_index === 'number')
      .sort(([a], [b]) => a - b)
      .map(([partNo, item]) => itemToPart(structuredClone(item), batchId, partNo));
  }

  /** The members a part's sidecar holds, less its voids (all of them while it is claimed). */
  async *#partMembers(part: BatchPart): AsyncIterable<BatchItem> {
    if (part.claimed !== null && part.voids === undefined) return;
    const voids = new Set(part.voids ?? []);
    const intern = destinationInterner();
    const source = await this.#blobs.getStream(partMembersKeyOf(part.batchId, part.partNo));
    for await (const line of splitLines(source)) {
      const { item } = decodePartMember(part.batchId, line, intern);
      if (!voids.has(item.providerCustomId)) yield item;
    }
  }

  #claimAll(members: readonly PartMember[]): MemberClaim[] {
    return members.map((member) => this.#claimMember(member));
  }

  /** The adapter's ledger claim put (`ledgerClaimPut`) and what its failure means. */
  #claimMember({ item, requestHash, expiresAt }: PartMemberLine): MemberClaim {
    let id: string;
    try {
      id = this.#storableLedgerId(item.producer, item.customId);
    } catch (error) {
      if (error instanceof InvalidInputError) return 'unstorable';
      throw error;
    }
    const old = this.#ledgerEntry(id);
    const free =
      old === undefined ||
      old.state === 'rejecting' ||
      old.state === 'rejected' ||
      (old.state === 'pending' && old.request_hash === requestHash);
    if (!free) return claimOutcomeOf(old, item, requestHash);
    this.#ledger.set(id, {
      ...requestToItem({
        producer: item.producer,
        customId: item.customId,
        requestHash,
        state: 'claimed',
        batchId: item.batchId,
        acceptedAt: item.acceptedAt,
        expiresAt,
      }),
      member_id: item.providerCustomId,
    });
    return 'claimed';
  }

  /** Settles a part its collector did not commit from its sidecar, as the adapter does. */
  async #settlePart(part: BatchPart): Promise<BatchPart> {
    const members: PartMember[] = [];
    for await (const line of splitLines(
      await this.#blobs.getStream(partMembersKeyOf(part.batchId, part.partNo)),
    )) {
      members.push(decodePartMember(part.batchId, line));
    }
    const claims = this.#claimAll(members);
    const memberIds = new Set(members.map((m) => m.item.providerCustomId));
    const voids: string[] = [];
    for (let i = 0; i < part.requestCount; i++) {
      const id = providerCustomIdOf(part.firstIndex + i);
      if (!memberIds.has(id)) voids.push(id);
    }
    claims.forEach((claim, i) => {
      const id = members[i]?.item.providerCustomId;
      if (claim !== 'claimed' && id !== undefined) voids.push(id);
    });
    const claimed = part.requestCount - voids.length;
    const item = this.#partsOf(part.batchId).get(part.partNo);
    if (item !== undefined) {
      item.claimed = claimed;
      item.voids = [...voids];
    }
    return { ...part, claimed, voids };
  }
}

export { InMemoryStateStore, type InMemoryStateStoreOptions };
