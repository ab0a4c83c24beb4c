import { createAwsClients } from '../shared/adapters/aws/createAwsClients.js';
import { DestinationRouter } from '../shared/adapters/aws/DestinationRouter.js';
import { EventBridgeResultPublisher } from '../shared/adapters/aws/EventBridgeResultPublisher.js';
import { S3BlobStore } from '../shared/adapters/aws/S3BlobStore.js';
import { S3ResultWriter } from '../shared/adapters/aws/S3ResultWriter.js';
import { SqsResultSender } from '../shared/adapters/aws/SqsResultSender.js';
import { WebhookResultSender } from '../shared/adapters/aws/WebhookResultSender.js';
import { ENV } from '../shared/config/BatchlaneConfig.js';
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
  const env = dev === null ? process.env : { ...process.env, ...dev.env };
  const bucket = values.bucket ?? dev?.artifacts_bucket ?? process.env[ENV.bucketName];
  if (bucket === undefined) {
    throw new UsageError(
      `no bucket: start \`batchlane dev\`, pass --bucket or set ${ENV.bucketName}`,
    );
  }
  const aws = createAwsClients(env);
  const blobs = new S3BlobStore({ client: aws.s3, bucket });
  const webhookSecret = env[ENV.webhookSecret];
  const deliverer = new DestinationRouter({
    sqs: new SqsResultSender({ client: aws.sqs, overflow: blobs }),
    s3: new S3ResultWriter({ client: aws.s3 }),
    eventbridge: new EventBridgeResultPublisher({ client: aws.eventBridge, overflow: blobs }),
    webhook:
      webhookSecret === undefined || webhookSecret === ''
        ? null
        : new WebhookResultSender({
            secret: webhookSecret,
            allowPrivate: env[ENV.allowPrivateWebhooks] === 'true' || dev !== null,
          }),
    // The deployment's own allow-list applies to replays too.
    allowList: (env[ENV.destinationAllowList] ?? '')
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean),
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
  return report.kept.length === 0 ? 0 : 2;
};

export { REPLAY_COMMAND, runReplay };
