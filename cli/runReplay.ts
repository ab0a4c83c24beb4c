import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type AwsEnv, createAwsClients } from '../shared/adapters/aws/createAwsClients.js';
import { S3BlobStore } from '../shared/adapters/aws/S3BlobStore.js';
import { createDeliverer } from '../shared/composition/createAwsAdapters.js';
import { ENV } from '../shared/config/BatchlaneConfig.js';
import {
  AllowListSyntaxError,
  type DestinationPolicy,
  parseDestinationPolicy,
} from '../shared/domain/destinationPolicy.js';
import { silentLogger } from '../shared/ports/Logger.js';
import { createReplay } from '../shared/usecases/createReplay.js';
import { type DevFile, readDevFile } from './devFile.js';
import { readStackOutputs } from './smoke/readStackOutputs.js';

const REPLAY_USAGE = `usage: batchlane replay [--outputs-file outputs.json] [--stack NAME] [--prefix parked/...]
  Without --outputs-file or --stack: the running batchlane dev stack.`;

/** Where to replay: a bucket, the deployment's allow-list as it stands, and its region. */
interface ReplayTarget {
  readonly bucket: string;
  readonly policy: DestinationPolicy;
  readonly region: string;
  readonly env: AwsEnv;
  /** Loopback webhooks are the local stack's only receivers. */
  readonly local: boolean;
}

/** The running dev stack: its allow-list is the one it wrote to the dev file. */
const devTarget = (dev: DevFile): ReplayTarget | string => {
  if (dev.destination_allow_list === undefined) {
    return 'the running batchlane dev wrote no allow-list to .batchlane/dev.json: restart it';
  }
  const env = { ...process.env, ...dev.env };
  return {
    bucket: dev.artifacts_bucket,
    policy: parseDestinationPolicy(dev.destination_allow_list),
    region: env['AWS_REGION'] ?? 'us-east-1',
    env,
    local: true,
  };
};

/**
 * A deployed stack, from the outputs file `cdk deploy --outputs-file` wrote: its bucket, its
 * region (from the intake queue) and its `DestinationAllowList`. A stack without that output
 * is refused: what it allows cannot be told, and nothing is read as "everything".
 */
const deployedTarget = (outputsFile: string, stack: string | undefined): ReplayTarget | string => {
  if (!existsSync(outputsFile)) {
    return `no outputs file ${outputsFile}: deploy with \`npx cdk deploy --outputs-file outputs.json\` (or pass --outputs-file)`;
  }
  const target = readStackOutputs(readFileSync(outputsFile, 'utf8'), stack);
  if (target.allowList === null) {
    return `stack ${target.stackName} has no DestinationAllowList output: redeploy it, then replay`;
  }
  if (target.artifactsBucket === null) {
    return `stack ${target.stackName} has no ArtifactsBucketName output: redeploy it, then replay`;
  }
  return {
    bucket: target.artifactsBucket,
    policy: parseDestinationPolicy(target.allowList.join(',')),
    region: target.region,
    env: { ...process.env, AWS_REGION: target.region },
    local: false,
  };
};

/**
 * `batchlane replay [--outputs-file F] [--stack S] [--prefix parked/<type>/<hash>/]`: sends
 * results parked for a failing destination again, once it works, and only where the
 * deployment's own allow-list lets results go, whatever the operator's credentials reach.
 * Against the running `batchlane dev` by default, or a deployed stack (named by the outputs
 * file of `cdk deploy`) with the AWS credentials in the environment. Exit code 2 when
 * something was kept (still refused, or outside the allow-list).
 */
const runReplay = async (args: readonly string[], out: (line: string) => void): Promise<number> => {
  const { values } = parseArgs({
    args: [...args],
    options: {
      'outputs-file': { type: 'string' },
      stack: { type: 'string' },
      prefix: { type: 'string' },
    },
  });
  const deployed = values['outputs-file'] !== undefined || values.stack !== undefined;
  const dev = deployed ? null : readDevFile();
  let target: ReplayTarget | string;
  try {
    if (deployed) {
      target = deployedTarget(values['outputs-file'] ?? 'outputs.json', values.stack);
    } else {
      target = dev === null ? 'batchlane dev is not running' : devTarget(dev);
    }
  } catch (error) {
    if (!(error instanceof AllowListSyntaxError)) throw error;
    target = `the deployment's allow-list cannot be read: ${error.message}`;
  }
  if (typeof target === 'string') {
    out(`${target}\n\n${REPLAY_USAGE}`);
    return 1;
  }
  const aws = createAwsClients(target.env);
  const blobs = new S3BlobStore({ client: aws.s3, bucket: target.bucket });
  const webhookSecret = target.env[ENV.webhookSecret];
  // The deployment's own allow-list, never the operator's reach; the local stack's webhooks
  // listen on loopback.
  const deliverer = createDeliverer(aws, blobs, {
    webhookSecret: webhookSecret === undefined || webhookSecret === '' ? null : webhookSecret,
    allowPrivateWebhooks: target.local,
    destinationPolicy: target.policy,
    region: target.region,
  });
  try {
    const replay = createReplay({
      blobs,
      deliverer,
      logger: silentLogger,
      policy: target.policy,
      region: target.region,
    });
    const report = await replay(values.prefix === undefined ? {} : { prefix: values.prefix });
    out(
      `replayed ${report.replayed} results from ${report.objects} parked objects in ${target.bucket}`,
    );
    for (const key of report.outsideAllowList) out(`  outside the allow-list, kept: ${key}`);
    for (const key of report.kept) out(`  still refused: ${key}`);
    return report.kept.length === 0 && report.outsideAllowList.length === 0 ? 0 : 2;
  } finally {
    aws.destroy();
  }
};

export { REPLAY_USAGE, runReplay };
