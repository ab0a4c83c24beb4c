import { readSidecar, settledPart } from '../../../shared/adapters/aws/state/batchPartition.js';
import {
  ACTIVE_PARTITION,
  EST_NANO,
  EST_REQUESTS,
  EST_TOKENS,
  itemToBatch,
  itemToPart,
  partToItem,
} from '../../../shared/adapters/aws/stateItemCodec.js';
import { STATE_TABLE } from '../../../shared/config/stateTableSchema.js';
import { ConflictError } from '../../../shared/domain/errors.js';
import type { BatchPart, BatchRecord } from '../../../shared/domain/records.js';
import type {
  BatchFilling,
  MemberClaim,
  PartMember,
  PartReservation,
  ReservedPart,
} from '../../../shared/ports/BatchFilling.js';
import { InMemoryStatePort } from './InMemoryStateTable.js';

const partSealed = (batchId: string, partNo: number) =>
  new ConflictError(`part ${partNo} of batch ${batchId} is sealed`, {
    code: 'part_sealed',
    details: { batchId, partNo, claimedBefore: 0 },
  });

/**
 * {@link BatchFilling} in memory, as `DynamoDbBatchFilling` behaves: group pointers, part
 * reservations on the batch record (`InMemoryBatchRecords`' item), part items, and claims that
 * put members' ledger entries in the shared table (what `InMemoryRequestLedger` reads).
 */
class InMemoryBatchFilling extends InMemoryStatePort<BatchFilling> implements BatchFilling {
  async currentFillingBatch(groupKey: string): Promise<string | null> {
    this.table.failIfAsked('currentFillingBatch');
    return this.table.filling.get(groupKey) ?? null;
  }

  async setFillingBatch(
    groupKey: string,
    batchId: string,
    replacing: string | null,
  ): Promise<boolean> {
    this.table.failIfAsked('setFillingBatch');
    const current = this.table.filling.get(groupKey);
    if (replacing === null ? current !== undefined : current !== replacing) return false;
    this.table.filling.set(groupKey, batchId);
    return true;
  }

  async reservePart(batchId: string, reservation: PartReservation): Promise<ReservedPart | null> {
    this.table.failIfAsked('reservePart');
    const { requests, bytes, estimate } = reservation;
    if (requests > reservation.maxRequests || bytes > reservation.maxBytes) return null;
    const item = this.table.batches.get(batchId);
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
    this.table.failIfAsked('stopFilling');
    const item = this.table.batches.get(batchId);
    if (item === undefined || item.state !== 'filling') return null;
    item.state = 'sealing';
    item.next_poll_at = nextPollAt;
    item[STATE_TABLE.indexPartitionKey] = ACTIVE_PARTITION;
    item[STATE_TABLE.indexSortKey] = nextPollAt;
    item.version = Number(item.version) + 1;
    return itemToBatch(structuredClone(item));
  }

  async openPart(part: BatchPart): Promise<boolean> {
    this.table.failIfAsked('openPart');
    const parts = this.table.partsOf(part.batchId);
    if (parts.has(part.partNo)) return false;
    parts.set(part.partNo, partToItem(structuredClone({ ...part, state: 'open' })));
    return true;
  }

  async claimPartMembers(
    batchId: string,
    partNo: number,
    members: readonly PartMember[],
    now: string,
  ): Promise<MemberClaim[]> {
    this.table.failIfAsked('claimPartMembers');
    if (this.table.partsOf(batchId).get(partNo)?.state !== 'open') {
      throw partSealed(batchId, partNo);
    }
    return this.table.claimAll(members, now);
  }

  async commitPart(
    batchId: string,
    partNo: number,
    claimed: number,
    voids: readonly string[] = [],
  ): Promise<void> {
    this.table.failIfAsked('commitPart');
    const part = this.table.partsOf(batchId).get(partNo);
    // Sealed first (or never opened): sealing settles the part itself.
    if (part?.state !== 'open') return;
    part.claimed = claimed;
    part.voids = [...voids];
  }

  async sealParts(batchId: string, partCount: number, now: string): Promise<BatchPart[]> {
    this.table.failIfAsked('sealParts');
    const parts = this.table.partsOf(batchId);
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
      settled.push(part.claimed === null ? await this.#settlePart(part, now) : part);
    }
    return settled;
  }

  /** Settles a part its collector did not commit from its sidecar, as the adapter does. */
  async #settlePart(part: BatchPart, now: string): Promise<BatchPart> {
    const members = await readSidecar(this.table.blobs, part);
    const { claimed, voids } = settledPart(part, members, this.table.claimAll(members, now));
    const item = this.table.partsOf(part.batchId).get(part.partNo);
    if (item !== undefined) {
      item.claimed = claimed;
      item.voids = [...voids];
    }
    return { ...part, claimed, voids };
  }
}

export { InMemoryBatchFilling };
