/**
 * EventBridge's size rule, in one place for the publisher (which splits PutEvents calls and
 * stores oversized results in S3) and for the local EventBridge (which refuses what AWS would).
 */

/** PutEvents takes at most 10 entries... */
const MAX_ENTRIES_PER_CALL = 10;
/** ...and at most 256 KB per entry and per request, counted as EventBridge documents. */
const MAX_EVENT_BYTES = 256 * 1024;

/** A PutEvents entry as the SDK sends it, or as it arrives on the wire, unchecked. */
interface SizedEntry {
  readonly Time?: unknown;
  readonly Source?: unknown;
  readonly DetailType?: unknown;
  readonly Detail?: unknown;
  readonly Resources?: unknown;
}

const bytesOf = (value: unknown): number =>
  typeof value === 'string' ? Buffer.byteLength(value) : 0;

/** How EventBridge sizes an entry: Time (14 B if set), Source, DetailType, Detail, Resources. */
const eventEntrySize = (entry: SizedEntry): number =>
  (entry.Time === undefined ? 0 : 14) +
  bytesOf(entry.Source) +
  bytesOf(entry.DetailType) +
  bytesOf(entry.Detail) +
  (Array.isArray(entry.Resources) ? entry.Resources : []).reduce(
    (sum: number, r: unknown) => sum + bytesOf(r),
    0,
  );

export { eventEntrySize, MAX_ENTRIES_PER_CALL, MAX_EVENT_BYTES, type SizedEntry };
