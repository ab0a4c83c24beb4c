import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { deadlinePlaceholders } from './sendRequests.js';

/** Where `batchlane submit` remembers the deadlines it filled in, per queue and file. */
const PLACEHOLDERS_FILE = '.batchlane/placeholders.json';

/**
 * A remembered deadline is used again only while it is at least this far ahead, so a request
 * resent with it still has the lane it had (`{{deadline_soon}}` is 2 h ahead when filled).
 */
const MIN_LEAD_MS = 3_600_000;

interface FilledDeadlines {
  readonly values: Record<string, string>;
  /** When these values were first filled in, if they come from an earlier submit. */
  readonly reusedFrom: string | null;
}

interface RememberedEntry {
  readonly filled_at: string;
  readonly values: Record<string, string>;
}

const readRemembered = (path: string): Record<string, RememberedEntry> => {
  if (!existsSync(path)) return {};
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, RememberedEntry>)
      : {};
  } catch {
    // A damaged file only costs the memory of earlier deadlines.
    return {};
  }
};

const stillAhead = (entry: RememberedEntry | undefined, now: Date): entry is RememberedEntry =>
  entry !== undefined &&
  Object.values(entry.values).every((value) => Date.parse(value) - now.getTime() >= MIN_LEAD_MS);

/**
 * The deadline placeholders for sending one file to one queue. A deadline is part of what
 * makes a request the same request, so filling `{{deadline_soon}}` afresh on a second run
 * would turn every resend into a `conflicting_resend`. The values filled in on the first run
 * are remembered (keyed by queue and file) and used again while they are still ahead; `fresh`
 * fills new ones (for files whose `custom_id`s are new).
 */
const deadlinesFor = (options: {
  readonly queueUrl: string;
  readonly file: string;
  readonly now: Date;
  readonly fresh?: boolean;
  readonly path?: string;
}): FilledDeadlines => {
  const path = options.path ?? PLACEHOLDERS_FILE;
  const key = `${options.queueUrl} ${options.file}`;
  const remembered = readRemembered(path);
  const earlier = remembered[key];
  if (options.fresh !== true && stillAhead(earlier, options.now)) {
    return { values: earlier.values, reusedFrom: earlier.filled_at };
  }
  const values = deadlinePlaceholders(options.now);
  remembered[key] = { filled_at: options.now.toISOString(), values };
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(remembered, null, 2)}\n`);
  return { values, reusedFrom: null };
};

export { deadlinesFor, type FilledDeadlines, PLACEHOLDERS_FILE };
