import type { TestProject } from 'vitest/node';
import {
  type AwsEmulatorEnv,
  startAwsEmulators,
} from '../../local/stack/emulators/startAwsEmulators.js';
import { startRecordingRun } from '../support/grants/recordings.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Endpoints, region and fake credentials of the emulators started for this run. */
    awsEnv: AwsEmulatorEnv;
  }
}

/**
 * Global setup of the `integration` project: starts fauxqs, DynamoDB Local and the
 * EventBridge stub once for the run, hands their environment to tests through
 * `inject('awsEnv')` and `process.env` (which the workers inherit), and stops them at the end.
 * Also starts the folder this run's local stacks record their AWS calls in
 * (see `test/support/grants/`).
 */
const setup = async (project: TestProject): Promise<() => Promise<void>> => {
  // The grant check after the run reads what this run's local stacks record, and only that.
  startRecordingRun();
  const emulators = await startAwsEmulators();
  project.provide('awsEnv', emulators.env);
  Object.assign(process.env, emulators.env);
  return async () => {
    await emulators.stop();
  };
};

export { setup };
