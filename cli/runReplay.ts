import { parseArgs } from 'node:util';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createAwsClients } from '../shared/adapters/aws/createAwsClients.js';
import { DestinationRouter } from '../shared/adapters/aws/DestinationRouter.js';
import { EventBridgeResultPublisher } from '../shared/adapters/aws/EventBridgeResultPublisher.js';
import { S3BlobStore } from '../shared/adapters/aws/S3BlobStore.js';
import { S3ResultWriter } from '../shared/adapters/aws/S3ResultWriter.js';
import { SqsResultSender } from '../shared/adapters/aws/SqsResultSender.js';
import { WebhookResultSender } from '../shared/adapters/aws/WebhookResultSender.js';
import { createWebhookSecrets } from '../shared/composition/createWebhookSecrets.js';
import { ENV } from '../shared/config/BatchlaneConfig.js';
import { parseWebhookSecrets } from '../shared/config/loadConfig.js';
import { silentLogger } from '../shared/ports/Logger.js';
import { createReplay } from '../shared/usecases/createReplay.js';
import { readDevFile } from './devFile.js';

/**
 * `batchlane replay [--bucket NAME] [--prefix parked/<type>/<hash>/]`: sends results parked
 * for a failing destination again, once it works. Against the running `batchlane dev` by
 * default, or a deployed stack's artifacts bucket with the AWS credentials in the environment.
 */
const runReplay = async (args: readonly string[], out: (line: string) => void): Promise<number> => {
  const { values } = parseArgs({
    args: [...args],
    options: { bucket: { type: 'string' }, prefix: { type: 'string' } },
  });
  const dev = values.bucket === undefined ? readDevFile() : null;
  const env = dev === null ? process.env : { ...process.env, ...dev.env };
  const bucket = values.bucket ?? dev?.artifacts_bucket ?? process.env[ENV.bucketName];
  if (bucket === undefined) {
    out('usage: batchlane replay --bucket ARTIFACTS_BUCKET [--prefix parked/...]');
    return 1;
  }
  const aws = createAwsClients(env);
  const blobs = new S3BlobStore({ client: aws.s3, bucket });
  const webhookSecrets = parseWebhookSecrets(env);
  const deliverer = new DestinationRouter({
    sqs: new SqsResultSender({ client: aws.sqs, overflow: blobs }),
    s3: new S3ResultWriter({ client: aws.s3 }),
    eventbridge: new EventBridgeResultPublisher({ client: aws.eventBridge, overflow: blobs }),
    webhook:
      webhookSecrets === null
        ? null
        : new WebhookResultSender({
            secrets: createWebhookSecrets(webhookSecrets, () => new SecretsManagerClient({})),
            allowPrivate: env[ENV.allowPrivateWebhooks] === 'true' || dev !== null,
          }),
    // The deployment's own allow-list applies to replays too.
    allowList: (env[ENV.destinationAllowList] ?? '')
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean),
  });
  const replay = createReplay({ blobs, deliverer, logger: silentLogger });
  const report = await replay(values.prefix === undefined ? {} : { prefix: values.prefix });
  out(`replayed ${report.replayed} results from ${report.objects} parked objects in ${bucket}`);
  for (const key of report.kept) out(`  still refused: ${key}`);
  return report.kept.length === 0 ? 0 : 2;
};

export { runReplay };
