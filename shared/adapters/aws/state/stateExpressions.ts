import { STATE_TABLE } from '../../../config/stateTableSchema.js';

/**
 * Expression names of the table's keys (see `stateTableSchema.ts`), so no expression restates
 * them: `#pk` alone (DynamoDB refuses a name an expression does not use), `#pk` and `#sk`, and
 * the active-batches index's `#gsi1pk` and `#gsi1sk`. Kept apart from the SDK, so the rules
 * that build conditions next to their decisions (`ledgerClaimRule.ts`,
 * `requestLedgerRules.ts`) import none.
 */
const PK_NAME = { '#pk': STATE_TABLE.partitionKey } as const;
const KEY_NAMES = { ...PK_NAME, '#sk': STATE_TABLE.sortKey } as const;
const INDEX_KEY_NAMES = {
  '#gsi1pk': STATE_TABLE.indexPartitionKey,
  '#gsi1sk': STATE_TABLE.indexSortKey,
} as const;

/** The condition of a write that creates an item: none is stored under its key (`PK_NAME`). */
const IS_NEW = 'attribute_not_exists(#pk)';
/** The condition of a write that changes an item only if it is there. */
const EXISTS = 'attribute_exists(#pk)';

/**
 * A condition that an attribute is absent or still the NULL items are written with (needs
 * `:nullType` = `'NULL'` among the values).
 */
const UNSET = (name: string): string =>
  `(attribute_not_exists(${name}) OR attribute_type(${name}, :nullType))`;

/** What {@link UNSET} tests, on an item as the DocumentClient reads it (absent is unset too). */
const isUnset = (item: Readonly<Record<string, unknown>> | undefined, name: string): boolean =>
  item === undefined || item[name] === undefined || item[name] === null;

export { EXISTS, INDEX_KEY_NAMES, IS_NEW, isUnset, KEY_NAMES, PK_NAME, UNSET };
