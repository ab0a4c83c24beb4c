import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AwsCallRecording } from '../../../local/stack/AwsCallRecorder.js';

/** Where local runs under test write what their functions called: a folder per test run. */
const AWS_CALLS_ROOT = fileURLToPath(new URL('../../../.batchlane/aws-calls/', import.meta.url));

/** Set by the integration project's global setup, inherited by its test workers. */
const RUN_DIR_VARIABLE = 'BATCHLANE_AWS_CALLS_DIR';

/** Test runs whose recordings are kept (older folders are removed). */
const KEPT_RUNS = 5;

const runDirs = (): string[] => {
  let names: string[];
  try {
    names = readdirSync(AWS_CALLS_ROOT).filter((name) => name.startsWith('run-'));
  } catch {
    return [];
  }
  return names
    .map((name) => join(AWS_CALLS_ROOT, name))
    .sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs);
};

/**
 * Starts the folder of one test run (the integration project's global setup), so two test
 * runs at once never mix their recordings, and removes the oldest folders.
 */
const startRecordingRun = (): string => {
  const dir = join(
    AWS_CALLS_ROOT,
    `run-${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}`,
  );
  mkdirSync(dir, { recursive: true });
  for (const old of runDirs().slice(0, -KEPT_RUNS)) rmSync(old, { recursive: true, force: true });
  process.env[RUN_DIR_VARIABLE] = dir;
  return dir;
};

/** `recordAwsCalls` for a local stack started by the test file at `testPath`. */
const recordingFor = (testPath: string | undefined): { file: string; run: string } => {
  const dir = process.env[RUN_DIR_VARIABLE] ?? join(AWS_CALLS_ROOT, 'adhoc');
  const name = testPath === undefined ? 'run' : basename(testPath).replace(/\.test\.ts$/, '');
  const run = `${name}-${process.pid}-${Date.now()}`;
  return { file: join(dir, `${run}.json`), run };
};

/** The folder of the latest test run, if any. */
const latestRunDir = (): string | undefined => runDirs().at(-1);

/** Every recording in `dir`. */
const readRecordings = (dir: string): AwsCallRecording[] => {
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => name.endsWith('.json'));
  } catch {
    return [];
  }
  return names.map((name) => JSON.parse(readFileSync(join(dir, name), 'utf8')) as AwsCallRecording);
};

export { latestRunDir, readRecordings, recordingFor, startRecordingRun };
