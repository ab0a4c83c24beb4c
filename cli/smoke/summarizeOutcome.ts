import type { WaitOutcome } from './waitForResults.js';

interface SmokeSummary {
  readonly lines: readonly string[];
  /** Every request has exactly one result and every result succeeded. */
  readonly ok: boolean;
}

/** Turns a wait outcome into the lines printed at the end of a smoke run, and its verdict. */
const summarizeOutcome = (outcome: WaitOutcome, sent: number): SmokeSummary => {
  const byStatus = new Map<string, number>();
  for (const result of outcome.results.values()) {
    byStatus.set(result.status, (byStatus.get(result.status) ?? 0) + 1);
  }
  const statuses = [...byStatus.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([status, count]) => `${status} ${count}`)
    .join(', ');
  const lines = [
    `results:    ${outcome.results.size} of ${sent} in ${Math.round(outcome.elapsedMs / 1000)} s${statuses === '' ? '' : ` (${statuses})`}`,
  ];
  if (outcome.duplicates > 0) lines.push(`duplicates: ${outcome.duplicates} (expected none)`);
  if (outcome.foreign > 0)
    lines.push(`other:      ${outcome.foreign} messages of other runs ignored`);
  const failures = [...outcome.results.values()].filter((r) => r.status !== 'succeeded');
  for (const failure of failures.slice(0, 5)) {
    lines.push(
      `  ${failure.customId}: ${failure.status}${failure.errorType === null ? '' : ` ${failure.errorType}`}${failure.errorMessage === null ? '' : `: ${failure.errorMessage}`}`,
    );
  }
  if (failures.length > 5) lines.push(`  … and ${failures.length - 5} more`);
  if (outcome.missing.length > 0) {
    lines.push(
      `missing:    ${outcome.missing.length} (${outcome.missing.slice(0, 3).join(', ')}${outcome.missing.length > 3 ? ', …' : ''})`,
    );
  }
  const ok = outcome.missing.length === 0 && outcome.duplicates === 0 && failures.length === 0;
  lines.push(ok ? `OK: ${sent} of ${sent} requests succeeded, one result each` : 'FAILED');
  return { lines, ok };
};

export { type SmokeSummary, summarizeOutcome };
