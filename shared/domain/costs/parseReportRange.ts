import { InvalidInputError } from '../errors.js';
import type { CostRange } from './CostEntry.js';

/** The longest range a report reads: the ledger keeps 400 days by default. */
const MAX_REPORT_DAYS = 400;
const DEFAULT_SINCE = '7d';
const DAY_MS = 86_400_000;

interface ReportRange extends CostRange {
  /** Days in the range, both ends included. */
  readonly days: number;
}

const invalid = (message: string, details: Record<string, unknown>): InvalidInputError =>
  new InvalidInputError(message, { code: 'invalid_range', details });

const isoDay = (date: Date): string => date.toISOString().slice(0, 10);

/** Milliseconds of a `YYYY-MM-DD` day's start (UTC), or null if it is not a real date. */
const parseDay = (text: string): number | null => {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return null;
  const ms = Date.parse(`${text}T00:00:00Z`);
  // Date.parse rolls 2026-02-30 over to March; a real date reads back unchanged.
  return Number.isNaN(ms) || isoDay(new Date(ms)) !== text ? null : ms;
};

/**
 * Reads `--since` and `--until` of `batchlane report` into UTC days, both inclusive.
 * `since` is `YYYY-MM-DD` or `Nd`, the last N days including today (default `7d`);
 * `until` is `YYYY-MM-DD` (default today). Throws {@link InvalidInputError} for a malformed
 * value, a `since` after `until`, or a range longer than {@link MAX_REPORT_DAYS} days.
 */
const parseReportRange = (input: {
  readonly since?: string | undefined;
  readonly until?: string | undefined;
  readonly now: Date;
}): ReportRange => {
  const todayMs = Date.parse(`${isoDay(input.now)}T00:00:00Z`);
  const untilText = input.until ?? isoDay(input.now);
  const untilMs = parseDay(untilText);
  if (untilMs === null) {
    throw invalid(`--until must be a date as YYYY-MM-DD, not "${untilText}"`, {
      until: untilText,
    });
  }
  const sinceText = input.since ?? DEFAULT_SINCE;
  const relative = /^(\d{1,6})d$/.exec(sinceText);
  let sinceMs: number | null;
  if (relative !== null) {
    const count = Number(relative[1]);
    if (count < 1)
      throw invalid('--since 0d covers no day; use 1d for today', { since: sinceText });
    sinceMs = todayMs - (count - 1) * DAY_MS;
  } else {
    sinceMs = parseDay(sinceText);
  }
  if (sinceMs === null) {
    throw invalid(
      `--since must be a date as YYYY-MM-DD or a number of days as Nd (7d), not "${sinceText}"`,
      { since: sinceText },
    );
  }
  const since = isoDay(new Date(sinceMs));
  if (sinceMs > untilMs) {
    throw invalid(`--since ${since} is after --until ${untilText}`, {
      since,
      until: untilText,
    });
  }
  const days = (untilMs - sinceMs) / DAY_MS + 1;
  if (days > MAX_REPORT_DAYS) {
    throw invalid(
      `${since} to ${untilText} is ${days} days; a report covers at most ${MAX_REPORT_DAYS}`,
      { since, until: untilText, days },
    );
  }
  return { since, until: untilText, days };
};

export { MAX_REPORT_DAYS, parseReportRange, type ReportRange };
