import type { BatchItem } from '../../domain/records.js';
import type { BatchMembers } from '../../ports/BatchMembers.js';
import { PackedMembers } from './PackedMembers.js';

/**
 * A batch's members as one completion run knows them, loaded once: its parts' sidecars, each
 * member with what its exception item says. The run adds to it as it records exceptions.
 * Members are held packed (see {@link PackedMembers}): a table of 100,000 stays small.
 */
interface MemberTable {
  readonly members: PackedMembers;
  /** Members to send again in a retry batch. */
  readonly retries: Map<string, BatchItem>;
  /** Members whose result a destination did not take yet: owed a delivery. */
  readonly owed: Set<string>;
  /** Members with an exception item: counted from it, not from the totals. */
  readonly exceptionIds: string[];
}

const hasException = (item: BatchItem): boolean =>
  item.status !== null ||
  item.escalatedAt !== null ||
  item.retryAt != null ||
  item.undeliveredAt != null;

/** Loads the member table of a batch, a page of members at a time. */
const loadMemberTable = async (
  deps: { readonly store: Pick<BatchMembers, 'listItems'> },
  batchId: string,
): Promise<MemberTable> => {
  const table: MemberTable = {
    members: new PackedMembers(batchId),
    retries: new Map(),
    owed: new Set(),
    exceptionIds: [],
  };
  for await (const page of deps.store.listItems(batchId)) {
    for (const item of page) {
      table.members.set(item.providerCustomId, item);
      if (hasException(item)) table.exceptionIds.push(item.providerCustomId);
      if (item.status !== null || item.escalatedAt !== null) continue;
      // Chosen for a retry by an earlier run whose checkpoint passed its result.
      if (item.retryAt != null) table.retries.set(item.providerCustomId, item);
      else if (item.undeliveredAt != null) table.owed.add(item.providerCustomId);
    }
  }
  return table;
};

export { loadMemberTable, type MemberTable };
