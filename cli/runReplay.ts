import { parseArgs } from 'node:util';
import { createAwsClients } from '../shared/adapters/aws/createAwsClients.js';
import { S3BlobStore } from '../shared/adapters/aws/S3BlobStore.js';
import { createDeliverer } from '../shared/composition/createAwsAdapters.js';
import { ENV } from '../shared/config/BatchlaneConfig.js';
import { loadDeliverySettings } from '../shared/config/loadConfig.js';
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
  // The deployment's own delivery settings (webhook secret, allow-list) apply to replays too;
  // the local stack's webhooks listen on loopback.
  const settings = loadDeliverySettings(env);
  const deliverer = createDeliverer(aws, blobs, {
    ...settings,
    allowPrivateWebhooks: settings.allowPrivateWebhooks || dev !== null,
  });
  const replay = createReplay({ blobs, deliverer, logger: silentLogger });
  const report = await replay(values.prefix === undefined ? {} : { prefix: values.prefix });
  out(`replayed ${report.replayed} results from ${report.objects} parked objects in ${bucket}`);
  for (const key of report.kept) out(`  still refused: ${key}`);
  return report.kept.length === 0 ? 0 : 2;
};

export { runReplay };
