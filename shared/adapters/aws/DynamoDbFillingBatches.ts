import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { ConflictError, NotFoundError } from '../../domain/errors.js';
import { mapWithConcurrency } from '../../domain/mapWithConcurrency.js';
import type { BatchPart, BatchRecord } from '../../domain/records.js';
import type { PartMember, PartReservation, ReservedPart } from '../../ports/StateStore.js';
import type { Sleep } from './backoff.js';
import { claimOperations, isOwnClaim } from './claimOperations.js';
import { isAwsErrorNamed } from './isAwsErrorNamed.js';
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
  type StateItem,
} from './stateItemCodec.js';
import { transactWithRetries } from './transactWithRetries.js';
import { translateAwsError } from './translateAwsError.js';

/** A part check plus two operations per member stays within a transaction's 100. */
const MEMBERS_PER_TRANSACTION = 49;

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

  async claimPartMembers(
    batchId: string,
    partNo: number,
    members: readonly PartMember[],
  ): Promise<boolean[]> {
    const claimed: boolean[] = members.map(() => false);
    for (let offset = 0; offset < members.length; offset += MEMBERS_PER_TRANSACTION) {
      let pending = members
        .slice(offset, offset + MEMBERS_PER_TRANSACTION)
        .map((member, i) => ({ member, index: offset + i }));
      while (pending.length > 0) {
        const reasons = await transactWithRetries(
          this.#client,
          [
            {
              ConditionCheck: {
                TableName: this.#table,
                Key: partKey(batchId, partNo),
                ConditionExpression: '#state = :open',
                ExpressionAttributeNames: { '#state': 'state' },
                ExpressionAttributeValues: { ':open': 'open' },
              },
            },
            ...pending.flatMap(({ member }) =>
              claimOperations(this.#table, member.item, member.requestHash),
            ),
          ],
          {
            maxAttempts: this.#maxAttempts,
            sleep: this.#sleep,
            translate: (error) => this.#translate(error, 'TransactWriteItems', `BATCH#${batchId}`),
          },
        );
        if (reasons === null) {
          for (const { index } of pending) claimed[index] = true;
          break;
        }
        if (reasons[0]?.Code === 'ConditionalCheckFailed') {
          throw new ConflictError(`part ${partNo} of batch ${batchId} is sealed`, {
            code: 'part_sealed',
            details: { batchId, partNo, claimedBefore: claimed.filter(Boolean).length },
          });
        }
        // Members whose ledger entry was not `pending` with this hash are decided now; the
        // rest are tried again without them.
        const decided = new Set<number>();
        pending.forEach(({ member, index }, i) => {
          const reason = reasons[1 + 2 * i];
          if (reason?.Code !== 'ConditionalCheckFailed') return;
          decided.add(index);
          const old = oldItemOf(reason.Item);
          if (old === null) {
            throw new NotFoundError(`request ${member.item.customId} is not in the ledger`, {
              code: 'not_found',
              details: { customId: member.item.customId, batchId },
            });
          }
          // Our own earlier claim (a retry after a crash) wrote the item with it; a claim of the
          // same request into another member (a concurrent duplicate) lost.
          claimed[index] = isOwnClaim(old, member.item);
        });
        pending = pending.filter(({ index }) => !decided.has(index));
      }
    }
    return claimed;
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
      if (result.value !== null) parts.push(result.value);
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
