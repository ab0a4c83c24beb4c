import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { ConflictError, InvalidInputError } from '../../domain/errors.js';
import { mapWithConcurrency } from '../../domain/mapWithConcurrency.js';
import { providerCustomIdOf } from '../../domain/providerCustomIdOf.js';
import type { BatchItem, BatchPart, BatchRecord } from '../../domain/records.js';
import type {
  MemberClaim,
  PartMember,
  PartReservation,
  ReservedPart,
} from '../../ports/StateStore.js';
import type { Sleep } from './backoff.js';
import { claimOutcomeOf, ledgerClaimPut } from './claimOperations.js';
import { isAwsErrorNamed } from './isAwsErrorNamed.js';
import {
  ACTIVE_PARTITION,
  batchKey,
  EST_NANO,
  EST_REQUESTS,
  EST_TOKENS,
  fillKey,
  isVoidSlot,
  itemToBatch,
  itemToBatchItem,
  itemToPart,
  memberClaimItem,
  partKey,
  partToItem,
  type StateItem,
  voidSlotItem,
} from './stateItemCodec.js';
import { translateAwsError } from './translateAwsError.js';

/** Members claimed (or indexes settled) at once, two single-item writes each. */
const CLAIM_CONCURRENCY = 16;

const partSealed = (batchId: string, partNo: number, claimedBefore: number) =>
  new ConflictError(`part ${partNo} of batch ${batchId} is sealed`, {
    code: 'part_sealed',
    details: { batchId, partNo, claimedBefore },
  });

/** Parts sealed at once. */
const SEAL_CONCURRENCY = 16;

interface DynamoDbFillingBatchesOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly maxAttempts: number;
  readonly sleep: Sleep;
}

const oldItemOf = (raw: unknown): StateItem | null =>
  typeof raw === 'object' && raw !== null && Object.keys(raw).length > 0
    ? unmarshall(raw as Record<string, AttributeValue>)
    : null;

/**
 * The filling side of the state table: a pointer per group to its `filling` batch
 * (`FILL#<group>/FILL`), atomic part reservations on the batch record, and part records
 * (`BATCH#<id>/PART#<n>`) that members are claimed through. Claims check their part, not
 * the batch, so concurrent collectors never contend on one hot item while they claim.
 */
class DynamoDbFillingBatches {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #maxAttempts: number;
  readonly #sleep: Sleep;

  constructor(options: DynamoDbFillingBatchesOptions) {
    this.#client = options.client;
    this.#table = options.tableName;
    this.#maxAttempts = options.maxAttempts;
    this.#sleep = options.sleep;
  }

  async currentFillingBatch(groupKey: string): Promise<string | null> {
    try {
      const response = await this.#client.send(
        new GetCommand({ TableName: this.#table, Key: fillKey(groupKey), ConsistentRead: true }),
      );
      const batchId = response.Item?.batch_id;
      return typeof batchId === 'string' ? batchId : null;
    } catch (error) {
      throw this.#translate(error, 'GetItem', `FILL#${groupKey}`);
    }
  }

  async setFillingBatch(
    groupKey: string,
    batchId: string,
    replacing: string | null,
  ): Promise<boolean> {
    try {
      await this.#client.send(
        new PutCommand({
          TableName: this.#table,
          Item: { ...fillKey(groupKey), group_key: groupKey, batch_id: batchId },
          ...(replacing === null
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : {
                ConditionExpression: 'batch_id = :replacing',
                ExpressionAttributeValues: { ':replacing': replacing },
              }),
        }),
      );
      return true;
    } catch (error) {
      if (isAwsErrorNamed(error, 'ConditionalCheckFailedException')) return false;
      throw this.#translate(error, 'PutItem', `FILL#${groupKey}`);
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
      const response = await this.#client.send(
        new UpdateCommand({
          TableName: this.#table,
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
      throw this.#translate(error, 'UpdateItem', `BATCH#${batchId}`);
    }
  }

  async stopFilling(batchId: string, nextPollAt: string): Promise<BatchRecord | null> {
    try {
      const response = await this.#client.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: batchKey(batchId),
          ConditionExpression: '#state = :filling',
          // The index key follows the poll time, as every write of a batch keeps it.
          UpdateExpression:
            'SET #state = :sealing, next_poll_at = :at, gsi1pk = :active, gsi1sk = :at ADD version :one',
          ExpressionAttributeNames: { '#state': 'state' },
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
      throw this.#translate(error, 'UpdateItem', `BATCH#${batchId}`);
    }
  }

  async openPart(part: BatchPart): Promise<boolean> {
    try {
      await this.#client.send(
        new PutCommand({
          TableName: this.#table,
          Item: partToItem({ ...part, state: 'open' }),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      if (isAwsErrorNamed(error, 'ConditionalCheckFailedException')) return false;
      throw this.#translate(error, 'PutItem', `BATCH#${part.batchId}`);
    }
  }

  /**
   * Claims each member with two plain single-item writes, `CLAIM_CONCURRENCY` members at a
   * time (1 write unit each, where the same writes in a transaction bill 2 each):
   * 1. the member item is put only where its index is free (`attribute_not_exists`): a void
   *    slot written there by sealing refuses it, and the part counts as sealed;
   * 2. the ledger entry goes from `pending` with this hash to `claimed` by this batch and
   *    member. An entry already claimed by this member is this very claim (a retry); one
   *    claimed elsewhere makes the index a void slot.
   * The ledger entry is what decides membership. Sealing settles every index of a part whose
   * collector did not commit it the same way (see `settlePart`), so whichever of the two
   * writes first, both reach the same answer and nothing is lost or doubled.
   */
  async claimPartMembers(
    batchId: string,
    partNo: number,
    members: readonly PartMember[],
  ): Promise<MemberClaim[]> {
    if ((await this.#partState(batchId, partNo)) !== 'open') throw partSealed(batchId, partNo, 0);
    const outcomes = await mapWithConcurrency(members, CLAIM_CONCURRENCY, (member) =>
      this.#claimMember(member),
    );
    const claims: MemberClaim[] = [];
    let sealed = false;
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') throw outcome.reason;
      if (outcome.value === 'sealed') sealed = true;
      else claims.push(outcome.value);
    }
    if (sealed) {
      throw partSealed(batchId, partNo, claims.filter((c) => c === 'claimed').length);
    }
    return claims;
  }

  async #claimMember(member: PartMember): Promise<MemberClaim | 'sealed'> {
    try {
      return await this.#claimWrites(member);
    } catch (error) {
      if (!(error instanceof InvalidInputError)) throw error;
      // Refused for something in this request alone (an item DynamoDB will not store): its
      // index holds no member, and its neighbours are claimed all the same.
      await this.#voidSlot(member.item.batchId, member.item.providerCustomId);
      return 'unstorable';
    }
  }

  async #claimWrites(member: PartMember): Promise<MemberClaim | 'sealed'> {
    const { item, requestHash, expiresAt } = member;
    const existing = await this.#putMember(item, requestHash, expiresAt);
    if (existing !== null && (isVoidSlot(existing) || existing.custom_id !== item.customId)) {
      return 'sealed';
    }
    const outcome = await this.#claimLedger(item, requestHash, expiresAt);
    if (outcome !== 'claimed') await this.#voidSlot(item.batchId, item.providerCustomId);
    return outcome;
  }

  /** Puts a member item where its index is free; returns what holds the index otherwise. */
  async #putMember(
    item: BatchItem,
    requestHash: string,
    expiresAt: number,
  ): Promise<StateItem | null> {
    try {
      await this.#client.send(
        new PutCommand({
          TableName: this.#table,
          Item: memberClaimItem(item, requestHash, expiresAt),
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return null;
    } catch (error) {
      if (!isAwsErrorNamed(error, 'ConditionalCheckFailedException')) {
        throw this.#translate(error, 'PutItem', `BATCH#${item.batchId}`);
      }
      // An index held by an item the failed condition did not return counts as void.
      return (
        oldItemOf((error as { Item?: unknown }).Item) ??
        voidSlotItem(item.batchId, item.providerCustomId)
      );
    }
  }

  /**
   * Puts the member's ledger entry, `claimed` by it (see `ledgerClaimPut`). `claimed` when
   * the entry is now this member's, by this write or an earlier one (a retry, or sealing
   * settling the part); `held` or `conflict` when the entry stands for something else.
   */
  async #claimLedger(
    item: BatchItem,
    requestHash: string,
    expiresAt: number,
  ): Promise<MemberClaim> {
    try {
      await this.#client.send(
        new PutCommand(ledgerClaimPut(this.#table, item, requestHash, expiresAt)),
      );
      return 'claimed';
    } catch (error) {
      if (!isAwsErrorNamed(error, 'ConditionalCheckFailedException')) {
        throw this.#translate(error, 'PutItem', `REQ#${item.customId}`);
      }
      const old = oldItemOf((error as { Item?: unknown }).Item);
      // Gone between the condition and now (an expired entry swept): try again.
      if (old === null) return this.#claimLedger(item, requestHash, expiresAt);
      return claimOutcomeOf(old, item, requestHash);
    }
  }

  /** Makes an index hold no member, whatever it held (idempotent). */
  async #voidSlot(batchId: string, providerCustomId: string): Promise<void> {
    try {
      await this.#client.send(
        new PutCommand({ TableName: this.#table, Item: voidSlotItem(batchId, providerCustomId) }),
      );
    } catch (error) {
      throw this.#translate(error, 'PutItem', `BATCH#${batchId}`);
    }
  }

  async #partState(batchId: string, partNo: number): Promise<string | null> {
    try {
      const response = await this.#client.send(
        new GetCommand({
          TableName: this.#table,
          Key: partKey(batchId, partNo),
          ConsistentRead: true,
        }),
      );
      const state = response.Item?.state;
      return typeof state === 'string' ? state : null;
    } catch (error) {
      throw this.#translate(error, 'GetItem', `BATCH#${batchId}`);
    }
  }

  /**
   * Settles one index of a part its collector did not commit, as that collector would: a free
   * index becomes a void slot (the collector's later put there fails); a written member is
   * claimed in the ledger if still `pending`, and kept when the ledger says it is this
   * member's; otherwise it becomes a void slot. True when the index holds a member.
   */
  async #settleIndex(batchId: string, providerCustomId: string): Promise<boolean> {
    let existing: StateItem | null;
    try {
      await this.#client.send(
        new PutCommand({
          TableName: this.#table,
          Item: voidSlotItem(batchId, providerCustomId),
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return false;
    } catch (error) {
      if (!isAwsErrorNamed(error, 'ConditionalCheckFailedException')) {
        throw this.#translate(error, 'PutItem', `BATCH#${batchId}`);
      }
      existing = oldItemOf((error as { Item?: unknown }).Item);
    }
    if (existing === null || isVoidSlot(existing)) return false;
    const hash = existing.request_hash;
    const expiresAt = existing.ledger_expires_at;
    // Members written while claims were transactions carry no hash: their ledger entry was
    // claimed in the same transaction, so the member stands.
    if (typeof hash !== 'string' || typeof expiresAt !== 'number') return true;
    const item = itemToBatchItem(existing);
    if ((await this.#claimLedger(item, hash, expiresAt)) === 'claimed') return true;
    await this.#voidSlot(batchId, providerCustomId);
    return false;
  }

  /** Settles every index of an uncommitted part; returns how many hold a member. */
  async #settlePart(part: BatchPart): Promise<number> {
    const ids = Array.from({ length: part.requestCount }, (_, i) =>
      providerCustomIdOf(part.firstIndex + i),
    );
    const settled = await mapWithConcurrency(ids, CLAIM_CONCURRENCY, (id) =>
      this.#settleIndex(part.batchId, id),
    );
    let members = 0;
    for (const outcome of settled) {
      if (outcome.status === 'rejected') throw outcome.reason;
      if (outcome.value) members += 1;
    }
    return members;
  }

  async commitPart(batchId: string, partNo: number, claimed: number): Promise<void> {
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: partKey(batchId, partNo),
          ConditionExpression: '#state = :open',
          UpdateExpression: 'SET claimed = :claimed',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':open': 'open', ':claimed': claimed },
        }),
      );
    } catch (error) {
      // Sealed first: the batch is then checked against its members before submission.
      if (isAwsErrorNamed(error, 'ConditionalCheckFailedException')) return;
      throw this.#translate(error, 'UpdateItem', `BATCH#${batchId}`);
    }
  }

  async sealParts(batchId: string, partCount: number): Promise<BatchPart[]> {
    const numbers = Array.from({ length: partCount }, (_, i) => i + 1);
    const sealed = await mapWithConcurrency(numbers, SEAL_CONCURRENCY, async (partNo) => {
      try {
        // Creates a bare sealed record for a part whose collector has not recorded it yet,
        // so that collector's `openPart` fails and it never claims into this batch.
        const response = await this.#client.send(
          new UpdateCommand({
            TableName: this.#table,
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
        throw this.#translate(error, 'UpdateItem', `BATCH#${batchId}`);
      }
    });
    const parts: BatchPart[] = [];
    for (const result of sealed) {
      if (result.status === 'rejected') throw result.reason;
      if (result.value === null) continue;
      // A part its collector never committed may have members half-claimed: settled here,
      // index by index, so the ledger alone decides what the batch holds.
      parts.push(
        result.value.claimed === null
          ? { ...result.value, claimed: await this.#settlePart(result.value) }
          : result.value,
      );
    }
    return parts;
  }

  #translate(error: unknown, operation: string, key: string) {
    return translateAwsError(error, {
      operation: `DynamoDB.${operation}`,
      resource: `${this.#table}/${key}`,
    });
  }
}

export { DynamoDbFillingBatches, type DynamoDbFillingBatchesOptions };
