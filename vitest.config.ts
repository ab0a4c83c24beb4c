import { defineConfig } from 'vitest/config';
import { quietAwsSdkNodeWarning } from './local/quietAwsSdk.js';

// The test workers inherit it: no test prints the AWS SDK's Node-version warning.
quietAwsSdkNodeWarning();

/**
 * Test projects:
 * - unit: pure logic, no network, no emulators;
 * - simulator: the provider simulator driven through the official SDKs;
 * - integration: AWS adapters, handlers and the whole pipeline against the AWS-API
 *   emulators on loopback (started once by the global setup) and the simulator;
 * - infra: CDK template and cdk-nag tests.
 */
const jsonReport = process.env['VITEST_JSON_REPORT'];

export default defineConfig({
  test: {
    // CI also writes a JSON report, from which it prints one plain pass/fail line.
    ...(jsonReport === undefined
      ? {}
      : { reporters: ['default', 'json'], outputFile: { json: jsonReport } }),
    projects: [
      {
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], environment: 'node' },
      },
      {
        test: {
          name: 'simulator',
          include: ['test/simulator/**/*.test.ts'],
          environment: 'node',
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/setup/awsEmulators.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'infra',
          include: ['test/infra/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
