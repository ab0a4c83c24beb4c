import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AWS_SDK_NODE_WARNING_VARIABLE } from '../../../local/quietAwsSdk.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** `batchlane report` against a port nothing listens on: it makes a DynamoDB call and fails. */
const runReport = (warningSetting: string | undefined): string => {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:9',
  };
  delete env[AWS_SDK_NODE_WARNING_VARIABLE];
  if (warningSetting !== undefined) env[AWS_SDK_NODE_WARNING_VARIABLE] = warningSetting;
  const run = spawnSync(process.execPath, ['bin/batchlane.js', 'report', '--table', 't'], {
    cwd: ROOT,
    env,
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(run.stderr).toContain('DynamoDB.Query');
  return run.stderr;
};

describe("CLI: the AWS SDK's Node-version warning", () => {
  const onNode20 = Number(process.versions.node.split('.')[0]) < 22;

  it.runIf(onNode20)('is not printed by default', () => {
    expect(runReport(undefined)).not.toContain('NodeVersionSupportWarning');
  });

  it.runIf(onNode20)('is printed when the user asks for it with the SDK variable', () => {
    expect(runReport('false')).toContain('NodeVersionSupportWarning');
  });
});
