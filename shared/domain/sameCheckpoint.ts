import type { DeliveryCheckpoint } from './records.js';

/**
 * Whether two flat records (a cost row, the status counts: numbers and strings) hold the same
 * value under every name, whatever their key order.
 */
const sameFields = (a: object, b: object): boolean => {
  const left: Readonly<Record<string, unknown>> = { ...a };
  const right: Readonly<Record<string, unknown>> = { ...b };
  const names = new Set([...Object.keys(left), ...Object.keys(right)]);
  for (const name of names) if (left[name] !== right[name]) return false;
  return true;
};

/** Both absent, or both there with the same fields. */
const sameOptional = <T extends object>(a: T | undefined, b: T | undefined): boolean =>
  a === undefined || b === undefined ? a === b : sameFields(a, b);

/**
 * Whether two delivery checkpoints stand for the same point, compared field by field: the
 * same file and offset, the same counts, and the same cost rows in the same order. A record
 * read back from the table may list its keys in another order than it was written with, so
 * its serialized text is no measure (and one spurious write per completion run would be).
 */
const sameCheckpoint = (
  a: DeliveryCheckpoint | null | undefined,
  b: DeliveryCheckpoint | null | undefined,
): boolean => {
  if (a == null || b == null) return (a ?? null) === (b ?? null);
  if (a.fileIndex !== b.fileIndex || a.offset !== b.offset) return false;
  if (!sameOptional(a.counts, b.counts)) return false;
  if (a.costs === undefined || b.costs === undefined) return a.costs === b.costs;
  const other = b.costs;
  return a.costs.length === other.length && a.costs.every((row, i) => sameOptional(row, other[i]));
};

export { sameCheckpoint };
