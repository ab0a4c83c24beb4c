import { existsSync, readFileSync } from 'node:fs';
import { type AwsEnv, createAwsClients } from '../shared/adapters/aws/createAwsClients.js';
import { DynamoDbCostLedger } from '../shared/adapters/aws/DynamoDbCostLedger.js';
import { DynamoDbStatusReader } from '../shared/adapters/aws/DynamoDbStatusReader.js';
import { DynamoDbTurnaroundLog } from '../shared/adapters/aws/DynamoDbTurnaroundLog.js';
import { ENV } from '../shared/config/BatchlaneConfig.js';
import { resolveProfiles } from '../shared/contract/providerProfile.js';
import { type ProviderRegistry, providerRegistry } from '../shared/contract/providerRegistry.js';
import type { StatusSettings } from '../shared/domain/status/summarizeStatus.js';
import type { StatusReader } from '../shared/ports/StatusReader.js';
import type { TurnaroundLog } from '../shared/ports/TurnaroundLog.js';
import { DEV_FILE, type DevFile, readDevFile } from './devFile.js';
import { readStackOutputs } from './smoke/readStackOutputs.js';

/** Where a status is read from: a table, a bucket, an intake queue and the AWS environment. */
interface StatusTarget {
  /** What the page and the table name as their subject: `batchlane dev` or the stack's name. */
  readonly label: string;
  readonly tableName: string;
  readonly bucket: string;
  readonly intakeQueueUrl: string | null;
  readonly env: AwsEnv;
  readonly settings: StatusSettings;
}

/** An open reader and how to release its clients. */
interface OpenStatusReader {
  readonly target: StatusTarget;
  readonly reader: StatusReader;
  /** The deployment's turnaround log, where open batches' expected ends come from. */
  readonly turnarounds?: TurnaroundLog;
  close(): void;
}

/** A whole number from the environment, or null. */
const intFromEnv = (env: AwsEnv, name: string): number | null => {
  const value = Number(env[name] ?? '');
  return env[name] === undefined || env[name] === '' || !Number.isInteger(value) ? null : value;
};

/** The batch caps of a stack whose function environment is at hand (the local stack's). */
/** The deployment's providers, its own profiles among them (`BATCHLANE_PROVIDER_PROFILES`). */
const registryFromEnv = (env: AwsEnv): { readonly registry?: ProviderRegistry } => {
  const raw = (env as Record<string, string | undefined>)[ENV.providerProfiles]?.trim();
  if (raw === undefined || raw === '') return {};
  try {
    const resolved = resolveProfiles(JSON.parse(raw));
    return resolved.ok ? { registry: providerRegistry(resolved.profiles) } : {};
  } catch {
    // The functions refuse such a value at start; the status page shows the built-in ones.
    return {};
  }
};

const statusSettingsOf = (env: AwsEnv): StatusSettings => ({
  maxRequestsPerBatch: intFromEnv(env, ENV.maxRequestsPerBatch),
  batchMaxAgeSeconds: intFromEnv(env, ENV.batchMaxAgeSeconds),
  ...registryFromEnv(env),
});

const UNKNOWN_SETTINGS: StatusSettings = { maxRequestsPerBatch: null, batchMaxAgeSeconds: null };

/** The running `batchlane dev`, from the file it wrote. */
const devStatusTarget = (dev: DevFile, env: AwsEnv = process.env): StatusTarget => ({
  label: 'batchlane dev',
  tableName: dev.table_name,
  bucket: dev.artifacts_bucket,
  intakeQueueUrl: dev.intake_queue_url,
  env: { ...env, ...dev.env },
  settings: {
    maxRequestsPerBatch: dev.batch_settings?.max_requests_per_batch ?? null,
    batchMaxAgeSeconds: dev.batch_settings?.batch_max_age_seconds ?? null,
  },
});

/**
 * A deployed stack, from the outputs file `cdk deploy --outputs-file` wrote: its state table,
 * its artifacts bucket and its intake queue (and region). Throws a message meant for the user.
 */
const deployedStatusTarget = (
  outputsFile: string,
  stack: string | undefined,
  env: AwsEnv = process.env,
): StatusTarget => {
  if (!existsSync(outputsFile)) {
    throw new Error(
      `no outputs file ${outputsFile}: deploy with \`npx cdk deploy --outputs-file outputs.json\` (or pass --outputs-file)`,
    );
  }
  const target = readStackOutputs(readFileSync(outputsFile, 'utf8'), stack);
  if (target.stateTable === null || target.artifactsBucket === null) {
    throw new Error(
      `stack ${target.stackName} has no StateTableName or ArtifactsBucketName output: redeploy it, then read its status`,
    );
  }
  return {
    label: target.stackName,
    tableName: target.stateTable,
    bucket: target.artifactsBucket,
    intakeQueueUrl: target.intakeQueueUrl,
    env: { ...env, AWS_REGION: target.region },
    settings: UNKNOWN_SETTINGS,
  };
};

/**
 * The target named on the command line (`--outputs-file` / `--stack`), else the running
 * `batchlane dev`. Throws a message meant for the user when neither is there.
 */
const resolveStatusTarget = (options: {
  readonly outputsFile?: string | undefined;
  readonly stack?: string | undefined;
  readonly devFilePath?: string;
  readonly env?: AwsEnv;
}): StatusTarget => {
  if (options.outputsFile !== undefined || options.stack !== undefined) {
    return deployedStatusTarget(options.outputsFile ?? 'outputs.json', options.stack, options.env);
  }
  const dev = readDevFile(options.devFilePath);
  if (dev === null) {
    throw new Error(
      `nothing to read: start \`batchlane dev\` (it writes ${DEV_FILE}) or name a deployed stack with --outputs-file`,
    );
  }
  return devStatusTarget(dev, options.env);
};

/** A read-only {@link StatusReader} on the target, with the caller's own AWS credentials. */
const openStatusReader = (target: StatusTarget): OpenStatusReader => {
  const aws = createAwsClients(target.env);
  const reader = new DynamoDbStatusReader({
    documentClient: aws.documentClient,
    s3: aws.s3,
    sqs: aws.sqs,
    tableName: target.tableName,
    bucket: target.bucket,
    intakeQueueUrl: target.intakeQueueUrl,
    costs: new DynamoDbCostLedger({ client: aws.documentClient, tableName: target.tableName }),
  });
  // Read-only: status only queries the log's distributions.
  const turnarounds = new DynamoDbTurnaroundLog({
    client: aws.documentClient,
    tableName: target.tableName,
  });
  return { target, reader, turnarounds, close: () => aws.destroy() };
};

export {
  deployedStatusTarget,
  devStatusTarget,
  type OpenStatusReader,
  openStatusReader,
  resolveStatusTarget,
  type StatusTarget,
  statusSettingsOf,
};
