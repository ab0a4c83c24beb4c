import { BATCH_STATES } from '../shared/domain/records.js';
import type { StatusSnapshot } from '../shared/domain/status/summarizeStatus.js';

/** `42s`, `3m 05s`, `2h 10m`, `1d 4h`. */
const formatDuration = (seconds: number): string => {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  if (s < 86_400)
    return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`;
};

/** Dollars with enough digits for small local runs: `$0.000123`, `$12.35`. */
const formatUsd = (usd: number): string => {
  const abs = Math.abs(usd);
  const digits =
    abs === 0 || abs >= 1 ? 2 : Math.min(9, Math.max(4, 2 - Math.floor(Math.log10(abs)) + 1));
  return `${usd < 0 ? '-' : ''}$${abs.toFixed(digits)}`;
};

const formatBytes = (bytes: number): string =>
  bytes < 1000
    ? `${bytes} B`
    : bytes < 1_000_000
      ? `${(bytes / 1000).toFixed(1)} kB`
      : `${(bytes / 1_000_000).toFixed(1)} MB`;

/** `HH:MM:SSZ` today, else the date too. */
const formatTime = (iso: string, now: Date): string =>
  iso.slice(0, 10) === now.toISOString().slice(0, 10)
    ? `${iso.slice(11, 19)}Z`
    : `${iso.slice(0, 10)} ${iso.slice(11, 16)}Z`;

/** Rows of cells as left-aligned columns (numbers right-aligned). */
const columns = (rows: readonly (readonly string[])[], numeric: readonly boolean[]): string[] => {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((row) =>
    row
      .map((cell, i) => (numeric[i] ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
};

/** The status as a terminal table: the same facts as the status page. */
const formatStatus = (status: StatusSnapshot, label: string): string => {
  const now = new Date(status.generated_at);
  const lines: string[] = [
    `batchlane status: ${label} at ${status.generated_at.slice(0, 19)}Z (costs and completed batches since ${status.range.since})`,
    '',
  ];

  const providers = Object.entries(status.batches_by_state).filter(([, states]) =>
    Object.values(states).some((n) => n > 0),
  );
  lines.push('batches by provider and state');
  if (providers.length === 0) lines.push('  none');
  else {
    const header = ['', ...BATCH_STATES];
    const rows = providers.map(([provider, states]) => [
      provider,
      ...BATCH_STATES.map((state) => String(states[state])),
    ]);
    lines.push(
      ...columns([header, ...rows], [false, ...BATCH_STATES.map(() => true)]).map((l) => `  ${l}`),
    );
  }
  lines.push('');

  if (status.batches.length > 0) {
    const header = [
      'batch',
      'provider',
      'model',
      'state',
      'requests',
      'fill',
      'age',
      'expected end',
    ];
    const rows = status.batches.map((b) => [
      b.batch_id,
      b.provider,
      b.models.join(',') || '-',
      b.state,
      `${b.requests}/${b.capacity}`,
      `${Math.round(b.fill * 100)}%`,
      formatDuration(b.age_seconds),
      b.expected_end === null
        ? '-'
        : `${formatTime(b.expected_end, now)}${b.expected_end_basis === 'ended' ? ' (ended)' : ` (${b.expected_end_basis})`}`,
    ]);
    lines.push(
      ...columns([header, ...rows], [false, false, false, false, true, true, true, false]).map(
        (l) => `  ${l}`,
      ),
      '',
    );
  }

  lines.push(
    status.intake === null
      ? 'intake queue: not read'
      : `intake queue: ${status.intake.waiting} waiting, ${status.intake.held} held by admission, ${status.intake.in_flight} being collected`,
  );
  const byStatus = Object.entries(status.results.by_status)
    .map(([k, v]) => `${k} ${v}`)
    .join('  ');
  const byLane = Object.entries(status.results.by_lane)
    .map(([k, v]) => `${k} ${v}`)
    .join('  ');
  lines.push(`results by status:  ${byStatus}`, `requests by lane:   ${byLane}`);
  const { cost_usd, realtime_usd, saved_usd } = status.costs;
  const pct = realtime_usd > 0 ? ` (${Math.round((saved_usd / realtime_usd) * 100)}%)` : '';
  lines.push(
    `cost ${formatUsd(cost_usd)}   at realtime prices ${formatUsd(realtime_usd)}   saved ${formatUsd(saved_usd)}${pct}`,
  );
  lines.push(
    status.turnaround.providers.length === 0
      ? 'turnaround (submitted to ended): no batch has ended yet'
      : `turnaround (submitted to ended): ${status.turnaround.providers
          .map(
            (t) =>
              `${t.provider} median ${formatDuration(t.median_seconds)}, p90 ${formatDuration(t.p90_seconds)}, max ${formatDuration(t.max_seconds)} (${t.batches})`,
          )
          .join('; ')}`,
  );
  const { parked } = status;
  if (parked.objects === 0) lines.push('parked results: none');
  else {
    lines.push(
      `parked results: ${parked.truncated ? 'more than ' : ''}${parked.objects} objects (${formatBytes(parked.bytes)}); send again with \`batchlane replay --prefix PREFIX\``,
    );
    for (const p of parked.prefixes) {
      lines.push(
        `  ${p.prefix}  ${p.objects} objects, ${formatBytes(p.bytes)}${p.oldest === null ? '' : `, oldest ${formatTime(p.oldest, now)}`}`,
      );
    }
  }
  return lines.join('\n');
};

export { formatDuration, formatStatus, formatUsd };
