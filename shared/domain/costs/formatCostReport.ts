import type { CostRange } from './CostEntry.js';
import type { CostRow, CostSummary } from './summarizeCosts.js';

/** A summary and the days it covers: what `batchlane report` prints. */
interface CostReport extends CostRange {
  readonly summary: CostSummary;
}

/** One row of the JSON form: USD as numbers for reading, nano-USD as exact integers. */
interface CostRowJson {
  readonly key: string;
  readonly requests: number;
  readonly input_tokens: number;
  readonly output_tokens: number;
  readonly cache_read_tokens: number;
  readonly cache_write_tokens: number;
  readonly cost_usd: number;
  readonly realtime_usd: number;
  readonly saved_usd: number;
  /** Saved as a share of the realtime price, one decimal; null when that price is zero. */
  readonly saved_percent: number | null;
  readonly cost_nano_usd: number;
  readonly realtime_nano_usd: number;
  readonly saved_nano_usd: number;
}

interface CostReportJson {
  readonly since: string;
  readonly until: string;
  readonly by: CostSummary['by'];
  readonly rows: readonly CostRowJson[];
  readonly total: CostRowJson;
}

const NANO_PER_USD = 1_000_000_000n;
/** Nano-dollars are the ledger's resolution: no amount has more than 9 decimals. */
const MAX_DECIMALS = 9;

const groupThousands = (digits: string): string => digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');

/** `nano` rounded half away from zero to `decimals` decimals of a dollar, as text. */
const fixedUsd = (nano: bigint, decimals: number): string => {
  const unit = 10n ** BigInt(MAX_DECIMALS - decimals);
  let scaled = nano / unit;
  if ((nano % unit) * 2n >= unit) scaled += 1n;
  const scale = 10n ** BigInt(decimals);
  const whole = groupThousands((scaled / scale).toString());
  const fraction = (scaled % scale).toString().padStart(decimals, '0');
  return `${whole}.${fraction}`;
};

/**
 * Formats integer nano-dollars as dollars (no `$` sign). The rule: amounts of a dollar or more
 * get 2 decimals (with thousands separators); smaller amounts get at least 4 decimals, and more
 * until two significant digits show, down to the nano-dollar (9 decimals). So 1_800_000 nano
 * prints as `0.0018`, 12_345 as `0.000012` and 1 as `0.000000001`, where 2 decimals would
 * print them all as `0.00`. Zero is `0.00`; rounding is half away from zero.
 */
const formatUsd = (nanoUsd: number): string => {
  const sign = nanoUsd < 0 ? '-' : '';
  const nano = BigInt(Math.round(Math.abs(nanoUsd)));
  if (nano === 0n) return '0.00';
  if (nano >= NANO_PER_USD) return `${sign}${fixedUsd(nano, 2)}`;
  // The first significant digit sits at decimal 10 - digits; the second one place further.
  const digits = nano.toString().length;
  const decimals = Math.min(MAX_DECIMALS, Math.max(4, 11 - digits));
  const text = fixedUsd(nano, decimals);
  // 0.99999 rounds up to a whole dollar, which the dollar rule prints.
  return `${sign}${text.startsWith('0.') ? text : fixedUsd(nano, 2)}`;
};

/** Saved as a percentage of the realtime price, one decimal; null when that price is zero. */
const savedPercent = (row: CostRow): number | null => {
  if (row.realtimeNanoUsd === 0) return null;
  // In integers: saved × 1000 leaves the exact range of a double above ~9,000 USD.
  const saved = BigInt(Math.round(row.savedNanoUsd));
  const realtime = BigInt(Math.round(row.realtimeNanoUsd));
  const magnitude = (saved < 0n ? -saved : saved) * 1000n;
  const divisor = realtime < 0n ? -realtime : realtime;
  let tenths = magnitude / divisor;
  if ((magnitude % divisor) * 2n >= divisor) tenths += 1n;
  const negative = saved < 0n !== realtime < 0n && tenths !== 0n;
  return (negative ? -Number(tenths) : Number(tenths)) / 10;
};

const usd = (nano: number): number => nano / 1e9;

const rowJson = (row: CostRow): CostRowJson => ({
  key: row.key,
  requests: row.requests,
  input_tokens: row.inputTokens,
  output_tokens: row.outputTokens,
  cache_read_tokens: row.cacheReadTokens,
  cache_write_tokens: row.cacheWriteTokens,
  cost_usd: usd(row.nanoUsd),
  realtime_usd: usd(row.realtimeNanoUsd),
  saved_usd: usd(row.savedNanoUsd),
  saved_percent: savedPercent(row),
  cost_nano_usd: row.nanoUsd,
  realtime_nano_usd: row.realtimeNanoUsd,
  saved_nano_usd: row.savedNanoUsd,
});

/** The report as one JSON-ready object (`batchlane report --json`). */
const costReportJson = (report: CostReport): CostReportJson => ({
  since: report.since,
  until: report.until,
  by: report.summary.by,
  rows: report.summary.rows.map(rowJson),
  total: rowJson(report.summary.total),
});

const HEADINGS = [
  'requests',
  'input tok',
  'output tok',
  'cache read',
  'cache write',
  'cost $',
  'realtime $',
  'saved $',
  'saved %',
] as const;

/** An empty key (a cost without a tag) would be an invisible cell. */
const displayKey = (key: string): string => (key === '' ? '(none)' : key);

const cells = (row: CostRow): string[] => {
  const percent = savedPercent(row);
  return [
    displayKey(row.key),
    groupThousands(String(row.requests)),
    groupThousands(String(row.inputTokens)),
    groupThousands(String(row.outputTokens)),
    groupThousands(String(row.cacheReadTokens)),
    groupThousands(String(row.cacheWriteTokens)),
    formatUsd(row.nanoUsd),
    formatUsd(row.realtimeNanoUsd),
    formatUsd(row.savedNanoUsd),
    percent === null ? '-' : percent.toFixed(1),
  ];
};

/**
 * The report as a fixed-width text table: a title, one line per group, and a TOTAL line.
 * The key column is left-aligned and named after the grouping; numbers are right-aligned.
 * Money follows {@link formatUsd}; an empty tag shows as `(none)`.
 */
const formatCostReport = (report: CostReport): string => {
  const { summary } = report;
  const header = [summary.by, ...HEADINGS];
  const body = summary.rows.map(cells);
  const total = cells(summary.total);
  const widths = header.map((heading, column) =>
    Math.max(heading.length, ...[...body, total].map((row) => row[column]?.length ?? 0)),
  );
  const line = (row: readonly string[]): string =>
    row
      .map((cell, column) =>
        column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0),
      )
      .join('  ');
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  return [
    `batchlane costs by ${summary.by}, ${report.since} to ${report.until} (UTC days)`,
    line(header),
    rule,
    ...body.map(line),
    rule,
    line(total),
  ].join('\n');
};

export {
  type CostReport,
  type CostReportJson,
  type CostRowJson,
  costReportJson,
  formatCostReport,
  formatUsd,
  savedPercent,
};
