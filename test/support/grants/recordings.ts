import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AwsCallRecording } from '../../../local/stack/AwsCallRecorder.js';

/** Where local runs under test write what their functions called, one file per run. */
const AWS_CALLS_DIR = fileURLToPath(new URL('../../../.batchlane/aws-calls/', import.meta.url));

/** `recordAwsCalls` for a local stack started by the test file at `testPath`. */
const recordingFor = (testPath: string | undefined): { file: string; run: string } => {
  const name = testPath === undefined ? 'run' : basename(testPath).replace(/\.test\.ts$/, '');
  const run = `${name}-${process.pid}-${Date.now()}`;
  return { file: join(AWS_CALLS_DIR, `${run}.json`), run };
};

/** Every recording written so far. */
const readRecordings = (dir = AWS_CALLS_DIR): AwsCallRecording[] => {
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => name.endsWith('.json'));
  } catch {
    return [];
  }
  return names.map((name) => JSON.parse(readFileSync(join(dir, name), 'utf8')) as AwsCallRecording);
};

/** Forgets the recordings of earlier test runs (the integration project's global setup). */
const clearRecordings = (dir = AWS_CALLS_DIR): void => {
  rmSync(dir, { recursive: true, force: true });
};

export { AWS_CALLS_DIR, clearRecordings, readRecordings, recordingFor };
