import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderReport } from './report.js';

/**
 * Renders RESULTS.md again from the raw results a run saved with `BENCH_RESULTS_JSON=<file>`
 * (`tsx bench/render.ts <file>`), so the report's text can change without a new run.
 */
const file = process.argv[2];
if (file === undefined) throw new Error('usage: tsx bench/render.ts <results.json>');
const raw = JSON.parse(readFileSync(file, 'utf8')) as Omit<
  Parameters<typeof renderReport>[0],
  'startedAt' | 'finishedAt'
> & { startedAt: string; finishedAt: string };
const report = renderReport({
  ...raw,
  startedAt: new Date(raw.startedAt),
  finishedAt: new Date(raw.finishedAt),
});
writeFileSync(join(dirname(fileURLToPath(import.meta.url)), 'RESULTS.md'), report.markdown);
console.log(report.text);
