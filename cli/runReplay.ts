import { existsSync, readFileSync } from 'node:fs';
import { type AwsEnv, createAwsClients } from '../shared/adapters/aws/createAwsClients.js';
import { S3BlobStore } from '../shared/adapters/aws/S3BlobStore.js';
import { createDeliverer } from '../shared/composition/createAwsAdapters.js';
import { ENV } from '../shared/config/BatchlaneConfig.js';
import { loadDeliverySettings } from '../shared/config/loadConfig.js';
import {
  AllowListSyntaxError,
  type DestinationPolicy,
  parseDestinationPolicy,
} from '../shared/domain/destinationPolicy.js';
import { silentLogger } from '../shared/ports/Logger.js';
import { createReplay } from '../shared/usecases/createReplay.js';
import { type CommandSpec, parseCommandLine } from './commandLine.js';
import { type DevFile, readDevFile } from './devFile.js';
import { createProgress, type ProgressStream } from './progress.js';
import { readStackOutputs } from './smoke/readStackOutputs.js';

const REPLAY_COMMAND = {
  name: 'replay',
  summary:
    "send results parked for a failing destination again, only where the stack's allow-list lets them go",
  options: {
    'outputs-file': {
      type: 'string',
      value: 'FILE',
      description:
        'outputs of a deployed stack (`cdk deploy --outputs-file`); default: the running batchlane dev',
    },
    stack: {
      type: 'string',
      value: 'NAME',
      description: 'the stack in the outputs file, when it holds several',
    },
    prefix: {
      type: 'string',
      value: 'PREFIX',
      description: 'only the parked results under this prefix (parked/<type>/<hash>/)',
    },
  },
} as const satisfies CommandSpec;

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
  // Locally, loopback webhooks are signed with the running dev stack's secret.
  const webhookSecrets =
    dev.webhook_secret === undefined
      ? {}
      : {
          [ENV.webhookSecrets]: JSON.stringify({
            '127.0.0.1': dev.webhook_secret,
            localhost: dev.webhook_secret,
          }),
        };
  const env: AwsEnv = { ...process.env, ...dev.env, ...webhookSecrets };
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
 * file of `cdk deploy`) with the AWS credentials in the environment. Exit code 1 when
 * something was kept (still refused, or outside the allow-list) or nothing could be replayed.
 */
const runReplay = async (
  args: readonly string[],
  out: (line: string) => void,
  progressStream?: ProgressStream,
): Promise<number> => {
  const { values } = parseCommandLine(REPLAY_COMMAND, args);
  const deployed = values['outputs-file'] !== undefined || values.stack !== undefined;
  let target: ReplayTarget | string;
  try {
    if (deployed) {
      target = deployedTarget(values['outputs-file'] ?? 'outputs.json', values.stack);
    } else {
      const dev = readDevFile();
      target =
        dev === null ? 'batchlane dev is not running (or pass --outputs-file)' : devTarget(dev);
    }
  } catch (error) {
    if (!(error instanceof AllowListSyntaxError)) throw error;
    target = `the deployment's allow-list cannot be read: ${error.message}`;
  }
  if (typeof target === 'string') {
    out(target);
    return 1;
  }
  const aws = createAwsClients(target.env);
  const blobs = new S3BlobStore({ client: aws.s3, bucket: target.bucket });
  // The deployment's own allow-list, never the operator's reach, and its webhook secrets; the
  // local stack's webhooks listen on loopback.
  const deliverer = createDeliverer(aws, blobs, {
    webhookSecrets: loadDeliverySettings(target.env).webhookSecrets,
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
    const progress = createProgress({
      label: 'replaying parked objects',
      ...(progressStream === undefined ? {} : { stream: progressStream }),
    });
    const report = await replay({
      ...(values.prefix === undefined ? {} : { prefix: values.prefix }),
      onObject: ({ objects }) => progress.update(objects),
    });
    progress.finish();
    out(
      `replayed ${report.replayed} results from ${report.objects} parked objects in ${target.bucket}`,
    );
    for (const key of report.outsideAllowList) out(`  outside the allow-list, kept: ${key}`);
    for (const key of report.kept) out(`  still refused: ${key}`);
    for (const key of report.unreadable) out(`  unreadable, kept: ${key}`);
    // 1 when something was kept (2 is kept for usage errors).
    const keptAny = [report.kept, report.outsideAllowList, report.unreadable].some(
      (keys) => keys.length > 0,
    );
    return keptAny ? 1 : 0;
  } finally {
    aws.destroy();
  }
};

export { REPLAY_COMMAND, runReplay };
