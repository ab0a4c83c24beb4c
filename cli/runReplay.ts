import { createAwsClients } from '../shared/adapters/aws/createAwsClients.js';
import { S3BlobStore } from '../shared/adapters/aws/S3BlobStore.js';
import { createDeliverer } from '../shared/composition/createAwsAdapters.js';
import { ENV } from '../shared/config/BatchlaneConfig.js';
import { loadDeliverySettings } from '../shared/config/loadConfig.js';
import { silentLogger } from '../shared/ports/Logger.js';
import { createReplay } from '../shared/usecases/createReplay.js';
import { type CommandSpec, parseCommandLine, UsageError } from './commandLine.js';
import { readDevFile } from './devFile.js';
import { createProgress, type ProgressStream } from './progress.js';

const REPLAY_COMMAND = {
  name: 'replay',
  summary: 'send results parked for a failing destination again, once it works',
  options: {
    bucket: {
      type: 'string',
      value: 'NAME',
      description: "a deployed stack's artifacts bucket (default: the running batchlane dev's)",
    },
    prefix: {
      type: 'string',
      value: 'PREFIX',
      description: 'only the parked results under this prefix (parked/<type>/<hash>/)',
    },
  },
} as const satisfies CommandSpec;

/**
 * `batchlane replay [--bucket NAME] [--prefix parked/<type>/<hash>/]`: sends results parked
 * for a failing destination again, once it works. Against the running `batchlane dev` by
 * default, or a deployed stack's artifacts bucket with the AWS credentials in the environment.
 */
const runReplay = async (
  args: readonly string[],
  out: (line: string) => void,
  progressStream?: ProgressStream,
): Promise<number> => {
  const { values } = parseCommandLine(REPLAY_COMMAND, args);
  const dev = values.bucket === undefined ? readDevFile() : null;
  // Locally, loopback webhooks are signed with the running dev stack's secret.
  const devWebhookSecrets =
    dev?.webhook_secret === undefined
      ? {}
      : {
          [ENV.webhookSecrets]: JSON.stringify({
            '127.0.0.1': dev.webhook_secret,
            localhost: dev.webhook_secret,
          }),
        };
  const env = dev === null ? process.env : { ...process.env, ...dev.env, ...devWebhookSecrets };
  const bucket = values.bucket ?? dev?.artifacts_bucket ?? process.env[ENV.bucketName];
  if (bucket === undefined) {
    throw new UsageError(
      `no bucket: start \`batchlane dev\`, pass --bucket or set ${ENV.bucketName}`,
    );
  }
  const aws = createAwsClients(env);
  const blobs = new S3BlobStore({ client: aws.s3, bucket });
  // The deployment's own delivery settings (webhook secret, allow-list) apply to replays too;
  // the local stack's webhooks listen on loopback.
  const settings = loadDeliverySettings(env);
  const deliverer = createDeliverer(aws, blobs, {
    ...settings,
    allowPrivateWebhooks: settings.allowPrivateWebhooks || dev !== null,
  });
  const replay = createReplay({ blobs, deliverer, logger: silentLogger });
  const progress = createProgress({
    label: 'replaying parked objects',
    ...(progressStream === undefined ? {} : { stream: progressStream }),
  });
  const report = await replay({
    ...(values.prefix === undefined ? {} : { prefix: values.prefix }),
    onObject: ({ objects }) => progress.update(objects),
  });
  progress.finish();
  out(`replayed ${report.replayed} results from ${report.objects} parked objects in ${bucket}`);
  for (const key of report.kept) out(`  still refused: ${key}`);
  // 1 when a destination still refuses some (2 is kept for usage errors).
  return report.kept.length === 0 ? 0 : 1;
};

export { REPLAY_COMMAND, runReplay };
