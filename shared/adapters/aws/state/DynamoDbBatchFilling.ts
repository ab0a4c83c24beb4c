import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConflictError, InvalidInputError } from '../../../domain/errors.js';
import { mapWithConcurrency } from '../../../domain/mapWithConcurrency.js';
import type { BatchPart, BatchRecord } from '../../../domain/records.js';
import type {
  BatchFilling,
  MemberClaim,
  PartMember,
  PartReservation,
  ReservedPart,
} from '../../../ports/BatchFilling.js';
import type { BlobStore } from '../../../ports/BlobStore.js';
import { isAwsErrorNamed } from '../isAwsErrorNamed.js';
import {
  ACTIVE_PARTITION,
  batchKey,
  EST_NANO,
  EST_REQUESTS,
  EST_TOKENS,
  fillKey,
  itemToBatch,
  itemToPart,
  partKey,
  partToItem,
} from '../stateItemCodec.js';
import { readSidecar, settledPart } from './batchPartition.js';
import { ledgerClaimPut, refusedClaimOf } from './ledgerClaimRule.js';
import {
  INDEX_KEY_NAMES,
  IS_NEW,
  oldItemOfError,
  PK_NAME,
  StateTableAccess,
  type StateTableOptions,
} from './StateTableAccess.js';

/** Members claimed (or settled by sealing) at once, one single-item write each. */
const CLAIM_CONCURRENCY = 16;

const partSealed = (batchId: string, partNo: number, claimedBefore: number) =>
  new ConflictError(`part ${partNo} of batch ${batchId} is sealed`, {
    code: 'part_sealed',
    details: { batchId, partNo, claimedBefore },
  });

/** Parts sealed at once. */
const SEAL_CONCURRENCY = 16;

interface DynamoDbBatchFillingOptions extends StateTableOptions {
  /** batchlane's bucket: where each part's sidecar of members is read when sealing settles it. */
  readonly blobs: BlobStore;
}

/**
 * {@link BatchFilling} on the state table: a pointer per group to its `filling` batch
 * (`FILL#<group>/FILL`), atomic part reservations on the batch record (the `BatchRecords`'
 * item), and part records (`BATCH#<id>/PART#<n>`) that members are claimed through. Claims
 * check their part, not the batch, so concurrent collectors never contend on one hot item
 * while they claim. Claiming a member puts its ledger entry (`REQ#…`, the `RequestLedger`'s
 * item): the ledger entry is what makes a request a member, and it lives in the same table.
 */
class DynamoDbBatchFilling implements BatchFilling {
  readonly #table: StateTableAccess;
  readonly #blobs: BlobStore;

  constructor(options: DynamoDbBatchFillingOptions) {
    this.#table = new StateTableAccess(options);
    this.#blobs = options.blobs;
  }

  async currentFillingBatch(groupKey: string): Promise<string | null> {
    const batchId = (await this.#table.get(fillKey(groupKey)))?.batch_id;
    return typeof batchId === 'string' ? batchId : null;
  }

  async setFillingBatch(
    groupKey: string,
    batchId: string,
    replacing: string | null,
  ): Promise<boolean> {
    try {
      await this.#table.client.send(
        new PutCommand({
          TableName: this.#table.tableName,
          Item: { ...fillKey(groupKey), group_key: groupKey, batch_id: batchId },
          ...(replacing === null
            ? { ConditionExpression: IS_NEW, ExpressionAttributeNames: PK_NAME }
            : {
                ConditionExpression: 'batch_id = :replacing',
                ExpressionAttributeValues: { ':replacing': replacing },
              }),
        }),
      );
      return true;
    } catch (error) {
      if (isAwsErrorNamed(error, 'ConditionalCheckFailedException')) return false;
      throw this.#table.translate(error, 'PutItem', `FILL#${groupKey}`);
    }
  }

  async reservePart(batchId: string, reservation: PartReservation): Promise<ReservedPart | null> {
    const { requests, bytes, estimate } = reservation;
    if (requests > reservation.maxRequests || bytes > reservation.maxBytes) return null;
    const names: Record<string, string> = { '#state': 'state' };
    const values: Record<string, unknown> = {
      ':filling': 'filling',
      ':n': requests,
      ':b': bytes,
      ':one': 1,
      ':maxN': reservation.maxRequests - requests,
      ':maxB': reservation.maxBytes - bytes,
      ':nano': estimate.nanoUsd,
    };
    const adds = [
      'request_count :n',
      'input_bytes :b',
      'part_count :one',
      // Bumped so a versioned write that read the batch before this reservation fails.
      'version :one',
      `${EST_NANO} :nano`,
    ];
    Object.entries(estimate.byModel).forEach(([model, use], index) => {
      names[`#r${index}`] = `${EST_REQUESTS}${model}`;
      names[`#t${index}`] = `${EST_TOKENS}${model}`;
      values[`:r${index}`] = use.requests;
      values[`:t${index}`] = use.tokens;
      adds.push(`#r${index} :r${index}`, `#t${index} :t${index}`);
    });
    try {
      const response = await this.#table.client.send(
        new UpdateCommand({
          TableName: this.#table.tableName,
          Key: batchKey(batchId),
          ConditionExpression:
            '#state = :filling AND request_count <= :maxN AND input_bytes <= :maxB',
          UpdateExpression: `ADD ${adds.join(', ')}`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      const batch = itemToBatch(response.Attributes ?? {});
      return {
        partNo: batch.partCount ?? 1,
        firstIndex: batch.requestCount - requests,
        batchRequests: batch.requestCount,
        batchBytes: batch.inputBytes,
      };
    } catch (error) {
      if (isAwsErrorNamed(error, 'ConditionalCheckFailedException')) return null;
      throw this.#table.translate(error, 'UpdateItem', `BATCH#${batchId}`);
    }
  }

  async stopFilling(batchId: string, nextPollAt: string): Promise<BatchRecord | null> {
    try {
      const response = await this.#table.client.send(
        new UpdateCommand({
          TableName: this.#table.tableName,
          Key: batchKey(batchId),
          ConditionExpression: '#state = :filling',
          // The index key follows the poll time, as every write of a batch keeps it.
          UpdateExpression:
            'SET #state = :sealing, next_poll_at = :at, #gsi1pk = :active, #gsi1sk = :at ADD version :one',
          ExpressionAttributeNames: { '#state': 'state', ...INDEX_KEY_NAMES },
          ExpressionAttributeValues: {
            ':filling': 'filling',
            ':sealing': 'sealing',
            ':at': nextPollAt,
            ':active': ACTIVE_PARTITION,
            ':one': 1,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return itemToBatch(response.Attributes ?? {});
    } catch (error) {
      if (isAwsErrorNamed(error, 'ConditionalCheckFailedException')) return null;
      throw this.#table.translate(error, 'UpdateItem', `BATCH#${batchId}`);
    }
  }

  async openPart(part: BatchPart): Promise<boolean> {
    try {
      await this.#table.client.send(
        new PutCommand({
          TableName: this.#table.tableName,
          Item: partToItem({ ...part, state: 'open' }),
          ConditionExpression: IS_NEW,
          ExpressionAttributeNames: PK_NAME,
        }),
      );
      return true;
    } catch (error) {
      if (isAwsErrorNamed(error, 'ConditionalCheckFailedException')) return false;
      throw this.#table.translate(error, 'PutItem', `BATCH#${part.batchId}`);
    }
  }

  /**
   * Claims each member with one plain conditional write, `CLAIM_CONCURRENCY` at a time: its
   * ledger entry goes from absent, a refusal or `pending` with this hash to `claimed` by this
   * batch and member (1 write unit; the member's routing is in the part's sidecar object,
   * written before the part was opened). An entry already claimed by this member is this
   * very claim (a retry, or sealing settling the part first); one claimed elsewhere leaves
   * the index empty, and so does a `pending` one a realtime worker holds a lease on at `now`
   * or has delivered (see `claimDecisionOf`). The ledger entry alone decides membership, and
   * the put is the same whoever makes it, so a collector and a sealing that settles its part
   * reach the same answer in either order: nothing is lost or doubled.
   */
  async claimPartMembers(
    batchId: string,
    partNo: number,
    members: readonly PartMember[],
    now: string,
  ): Promise<MemberClaim[]> {
    if ((await this.#partState(batchId, partNo)) !== 'open') throw partSealed(batchId, partNo, 0);
    return this.#claimAll(members, now);
  }

  async #claimAll(members: readonly PartMember[], now: string): Promise<MemberClaim[]> {
    const outcomes = await mapWithConcurrency(members, CLAIM_CONCURRENCY, (member) =>
      this.#claimMember(member, now),
    );
    return outcomes.map((outcome) => {
      if (outcome.status === 'rejected') throw outcome.reason;
      return outcome.value;
    });
  }

  async #claimMember(member: PartMember, now: string): Promise<MemberClaim> {
    try {
      return await this.#claimLedger(member, now);
    } catch (error) {
      if (!(error instanceof InvalidInputError)) throw error;
      // Refused for something in this request alone (an entry DynamoDB will not store): its
      // index holds no member, and its neighbours are claimed all the same.
      return 'unstorable';
    }
  }

  /**
   * Puts the member's ledger entry, `claimed` by it (see `ledgerClaimRule.ts`): `claimed` when
   * the entry is now this member's, by this write or an earlier one (a retry, or sealing
   * settling the part); `held` or `conflict` when the entry stands for something else, as
   * `claimDecisionOf` judges the entry the refusal returned.
   */
  async #claimLedger(member: PartMember, now: string): Promise<MemberClaim> {
    try {
      await this.#table.client.send(
        new PutCommand(ledgerClaimPut(this.#table.tableName, member, now)),
      );
      return 'claimed';
    } catch (error) {
      if (!isAwsErrorNamed(error, 'ConditionalCheckFailedException')) {
        throw this.#table.translate(error, 'PutItem', `REQ#${member.item.customId}`);
      }
      const outcome = refusedClaimOf(oldItemOfError(error), member, now);
      // Gone between the condition and now (an expired entry swept): try again.
      return outcome === 'retry' ? this.#claimLedger(member, now) : outcome;
    }
  }

  async #partState(batchId: string, partNo: number): Promise<string | null> {
    const state = (await this.#table.get(partKey(batchId, partNo)))?.state;
    return typeof state === 'string' ? state : null;
  }

  /**
   * Settles a part its collector did not commit, as that collector would: every member of
   * its sidecar is claimed with the collector's own put, so a claim already made is found
   * as this member's and one not yet made is made now (the collector's later put then finds
   * it made). Records the outcome on the part, so it is settled once. Returns the part with
   * its exact `claimed` and `voids`.
   */
  async #settlePart(part: BatchPart, now: string): Promise<BatchPart> {
    const members = await readSidecar(this.#blobs, part);
    const { claimed, voids } = settledPart(part, members, await this.#claimAll(members, now));
    try {
      await this.#table.client.send(
        new UpdateCommand({
          TableName: this.#table.tableName,
          Key: partKey(part.batchId, part.partNo),
          UpdateExpression: 'SET claimed = :claimed, voids = :voids',
          ExpressionAttributeValues: { ':claimed': claimed, ':voids': voids },
        }),
      );
    } catch (error) {
      throw this.#table.translate(error, 'UpdateItem', `BATCH#${part.batchId}`);
    }
    return { ...part, claimed, voids };
  }

  async commitPart(
    batchId: string,
    partNo: number,
    claimed: number,
    voids: readonly string[] = [],
  ): Promise<void> {
    try {
      await this.#table.client.send(
        new UpdateCommand({
          TableName: this.#table.tableName,
          Key: partKey(batchId, partNo),
          ConditionExpression: '#state = :open',
          UpdateExpression: 'SET claimed = :claimed, voids = :voids',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':open': 'open', ':claimed': claimed, ':voids': voids },
        }),
      );
    } catch (error) {
      // Sealed first: sealing settles the part from its sidecar and the ledger itself.
      if (isAwsErrorNamed(error, 'ConditionalCheckFailedException')) return;
      throw this.#table.translate(error, 'UpdateItem', `BATCH#${batchId}`);
    }
  }

  async sealParts(batchId: string, partCount: number, now: string): Promise<BatchPart[]> {
    const numbers = Array.from({ length: partCount }, (_, i) => i + 1);
    const sealed = await mapWithConcurrency(numbers, SEAL_CONCURRENCY, async (partNo) => {
      try {
        // Creates a bare sealed record for a part whose collector has not recorded it yet,
        // so that collector's `openPart` fails and it never claims into this batch.
        const response = await this.#table.client.send(
          new UpdateCommand({
            TableName: this.#table.tableName,
            Key: partKey(batchId, partNo),
            UpdateExpression: 'SET #state = :sealed',
            ExpressionAttributeNames: { '#state': 'state' },
            ExpressionAttributeValues: { ':sealed': 'sealed' },
            ReturnValues: 'ALL_OLD',
          }),
        );
        const old = response.Attributes;
        return old !== undefined && typeof old.first_index === 'number'
          ? { ...itemToPart(old, batchId, partNo), state: 'sealed' as const }
          : null;
      } catch (error) {
        throw this.#table.translate(error, 'UpdateItem', `BATCH#${batchId}`);
      }
    });
    const parts: BatchPart[] = [];
    for (const result of sealed) {
      if (result.status === 'rejected') throw result.reason;
      if (result.value === null) continue;
      // A part its collector never committed may have members half-claimed: settled here
      // from its sidecar, so the ledger alone decides what the batch holds.
      parts.push(
        result.value.claimed === null ? await this.#settlePart(result.value, now) : result.value,
      );
    }
    return parts;
  }
}

export { DynamoDbBatchFilling, type DynamoDbBatchFillingOptions };
