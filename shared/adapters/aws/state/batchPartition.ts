import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { STATE_TABLE } from '../../../config/stateTableSchema.js';
import {
  decodePartMember,
  destinationInterner,
  partMembersKeyOf,
} from '../../../domain/partMembers.js';
import { providerCustomIdOf } from '../../../domain/providerCustomIdOf.js';
import type { BatchItem, BatchPart } from '../../../domain/records.js';
import { splitLines } from '../../../domain/splitLines.js';
import type { MemberClaim, PartMember } from '../../../ports/BatchFilling.js';
import type { BlobStore } from '../../../ports/BlobStore.js';
import { batchKey, itemToPart, type StateItem } from '../stateItemCodec.js';
import { KEY_NAMES, type StateTableAccess } from './StateTableAccess.js';

/** Every item of a batch's partition whose sort key begins with `prefix`, a page at a time. */
async function* queryBatchPartition(
  table: StateTableAccess,
  batchId: string,
  prefix: string,
): AsyncIterable<StateItem[]> {
  const partition = batchKey(batchId);
  let startKey: Record<string, unknown> | undefined;
  do {
    let page: { Items?: Record<string, unknown>[]; LastEvaluatedKey?: Record<string, unknown> };
    try {
      page = await table.client.send(
        new QueryCommand({
          TableName: table.tableName,
          KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
          ExpressionAttributeNames: KEY_NAMES,
          ExpressionAttributeValues: {
            ':pk': partition[STATE_TABLE.partitionKey],
            ':prefix': prefix,
          },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
    } catch (error) {
      throw table.translate(error, 'Query', partition);
    }
    yield page.Items ?? [];
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
}

const ITEM_PREFIX = 'ITEM#';

/** The provider custom id an exception item `BATCH#<batchId>/ITEM#<id>` is of. */
const memberIdOfItem = (item: StateItem): string =>
  String(item[STATE_TABLE.sortKey]).slice(ITEM_PREFIX.length);

/** The parts of a batch that were opened, in order (a part sealed before it was opened holds none). */
const listOpenedParts = async (table: StateTableAccess, batchId: string): Promise<BatchPart[]> => {
  const parts: BatchPart[] = [];
  for await (const page of queryBatchPartition(table, batchId, 'PART#')) {
    for (const item of page) {
      if (typeof item.first_index !== 'number') continue;
      parts.push(itemToPart(item, batchId, Number(item.part_no)));
    }
  }
  return parts.sort((a, b) => a.partNo - b.partNo);
};

/**
 * Whether a part's members are its sidecar's: a part still being claimed (no `claimed` yet), or
 * one committed with its void indexes. A part recorded before sidecars (claimed, no `voids`)
 * kept its members as items.
 */
const holdsSidecarMembers = (part: BatchPart): boolean =>
  part.claimed === null || part.voids !== undefined;

/**
 * Whether one of these parts holds the member `providerCustomId` in its sidecar: the id is one
 * batchlane gives (`providerCustomIdOf`), its index is in the part's run, and it is not void.
 */
const sidecarHolds = (parts: readonly BatchPart[], providerCustomId: string): boolean => {
  const index = Number.parseInt(providerCustomId.slice(1), 10);
  if (!Number.isInteger(index) || providerCustomIdOf(index) !== providerCustomId) return false;
  const part = parts.find((p) => index >= p.firstIndex && index < p.firstIndex + p.requestCount);
  return (
    part !== undefined &&
    holdsSidecarMembers(part) &&
    !(part.voids ?? []).includes(providerCustomId)
  );
};

/**
 * The members a part's sidecar holds, less its void indexes. A part still being claimed
 * yields every member it may hold; a part recorded before sidecars none: its members are items.
 */
async function* sidecarMembers(blobs: BlobStore, part: BatchPart): AsyncIterable<BatchItem> {
  if (!holdsSidecarMembers(part)) return;
  const voids = new Set(part.voids ?? []);
  const intern = destinationInterner();
  // An opened part always has its sidecar (written before the part was recorded): a missing
  // one is an error to surface, never an empty part.
  const source = await blobs.getStream(partMembersKeyOf(part.batchId, part.partNo));
  for await (const line of splitLines(source)) {
    const { item } = decodePartMember(part.batchId, line, intern);
    if (!voids.has(item.providerCustomId)) yield item;
  }
}

/** Every member a part's sidecar names, as its collector claimed them (voids included). */
const readSidecar = async (blobs: BlobStore, part: BatchPart): Promise<PartMember[]> => {
  const members: PartMember[] = [];
  const source = await blobs.getStream(partMembersKeyOf(part.batchId, part.partNo));
  for await (const line of splitLines(source)) members.push(decodePartMember(part.batchId, line));
  return members;
};

/**
 * What a part settled from its sidecar holds, given what claiming each member found: its
 * void indexes (those the sidecar does not name, none unless the object was cut short, and
 * those whose claim was not `claimed`), and how many members it holds.
 */
const settledPart = (
  part: BatchPart,
  members: readonly PartMember[],
  claims: readonly MemberClaim[],
): { readonly claimed: number; readonly voids: string[] } => {
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
  return { claimed: part.requestCount - voids.length, voids };
};

/** The members the parts' sidecars list, part after part. */
async function* membersOfParts(
  blobs: BlobStore,
  parts: readonly BatchPart[],
): AsyncIterable<BatchItem> {
  for (const part of parts) yield* sidecarMembers(blobs, part);
}

export {
  ITEM_PREFIX,
  listOpenedParts,
  memberIdOfItem,
  membersOfParts,
  queryBatchPartition,
  readSidecar,
  settledPart,
  sidecarHolds,
  sidecarMembers,
};
