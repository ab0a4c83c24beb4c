/**
 * The grant check over every local run of a test pass (`npm test` runs it after vitest):
 * reads the AWS calls each run's functions made (`.batchlane/aws-calls/`, written by the
 * pipeline and conservation tests) and checks them against the functions' roles in the
 * synthesized template.
 *
 * - A call no statement allows fails (each run's test also fails on it by itself).
 * - A `KNOWN_UNGRANTED` entry no call matches any more fails with `--strict` (its cause is
 *   gone: remove it), as does a run missing from the folder.
 * - A grant no run exercised, and not listed in `EXPECTED_UNEXERCISED` with its reason, is
 *   reported as a warning: the list of grants to narrow.
 *
 *   npx tsx scripts/checkGrants.ts [--strict] [--dir .batchlane/aws-calls/run-…]
 *
 * Without `--dir` it reads the latest test run's folder.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  staleKnownUngranted,
  unexercisedGrants,
  ungrantedCalls,
} from '../test/support/grants/checkGrants.js';
import { latestRunDir, readRecordings } from '../test/support/grants/recordings.js';

const strict = process.argv.includes('--strict');
const dirArgument = process.argv.indexOf('--dir');
const dir = dirArgument >= 0 ? process.argv[dirArgument + 1] : latestRunDir();
if (dir === undefined) {
  console.error('grant check: no recorded test run (run the integration tests first)');
  process.exit(1);
}

/** Runs a full pass writes: one per pipeline test file, and the conservation run. */
const expectedRuns = (): string[] => [
  ...readdirSync(fileURLToPath(new URL('../test/integration/pipeline/', import.meta.url)))
    .filter((name) => name.endsWith('.test.ts'))
    .map((name) => name.replace(/\.test\.ts$/, '')),
  'conservation',
];

const recordings = readRecordings(dir);
const calls = recordings.flatMap((recording) => recording.calls);
const missingRuns = expectedRuns().filter(
  (name) => !recordings.some((recording) => recording.run.startsWith(`${name}-`)),
);

const ungranted = ungrantedCalls(calls);
const unexercised = unexercisedGrants(calls);
const functions = new Set(calls.map((call) => call.function));
console.log(
  `grant check: ${calls.length} distinct calls of ${functions.size} functions in ${recordings.length} runs (${dir})`,
);

let failed = false;
if (ungranted.length > 0) {
  failed = true;
  console.error(`AWS calls without a grant (AccessDenied in AWS):\n  ${ungranted.join('\n  ')}`);
}
if (unexercised.length > 0) {
  console.warn(
    `warning: ${unexercised.length} grants no local run exercised (narrow them, exercise them, or list them in EXPECTED_UNEXERCISED with the reason they stay):\n  ${unexercised.join('\n  ')}`,
  );
}
const stale = missingRuns.length === 0 ? staleKnownUngranted(calls) : [];
if (stale.length > 0) {
  const message = stale.join('\n  ');
  if (strict) {
    failed = true;
    console.error(message);
  } else console.warn(`warning: ${message}`);
}
if (missingRuns.length > 0) {
  const message = `no recording of: ${missingRuns.join(', ')} (run the integration tests first)`;
  if (strict) {
    failed = true;
    console.error(message);
  } else console.warn(`warning: ${message}`);
}
if (!failed) console.log('grant check: every call granted');
process.exitCode = failed ? 1 : 0;
