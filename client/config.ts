import { readFileSync } from 'node:fs';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { PROVIDER_ID_PATTERN, type ProviderName } from '../shared/contract/providers.js';
import type { BatchlaneClientOptions } from './createBatchlaneClient.js';

/** Where `batchlane dev` writes how to reach the local stack. */
const DEV_FILE = '.batchlane/dev.json';

/** The part of the dev file a producer needs (the file holds more). */
const DevFileSchema = z.object({
  intake_queue_url: z.string(),
  artifacts_bucket: z.string(),
  destination_allow_list: z.string().optional(),
  env: z.record(z.string(), z.string()),
});

/** The outputs of one stack in a `cdk deploy --outputs-file` file. */
const StackOutputsSchema = z.object({
  IntakeQueueUrl: z.string(),
  ArtifactsBucketName: z.string(),
  EnabledProviders: z.string().optional(),
  DestinationAllowList: z.string().optional(),
});

const nonEmpty = (value: string | undefined): string | undefined =>
  value === undefined || value.trim() === '' ? undefined : value.trim();

/**
 * The producer the local stack sees a client as: a message without the local sender attribute
 * comes from the local account (the id in the queue's URL), so its claim checks go under
 * `claims/<account>/`.
 */
const localProducerOf = (queueUrl: string): { producer?: string } => {
  const account = URL.canParse(queueUrl)
    ? /^\/(\d{12})\//.exec(new URL(queueUrl).pathname)?.[1]
    : undefined;
  return account === undefined ? {} : { producer: account };
};

/**
 * Options for the local stack `batchlane dev` runs, from its dev file: its intake queue, its
 * artifacts bucket for claim checks, and clients on its emulators (endpoints, region and the
 * fake credentials it wrote). The local stack accepts webhooks to loopback addresses.
 */
const clientOptionsFromDevFile = (path: string = DEV_FILE): BatchlaneClientOptions => {
  const dev = DevFileSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
  const env = dev.env;
  const region = nonEmpty(env['AWS_REGION']) ?? nonEmpty(env['AWS_DEFAULT_REGION']) ?? 'us-east-1';
  const accessKeyId = nonEmpty(env['AWS_ACCESS_KEY_ID']);
  const secretAccessKey = nonEmpty(env['AWS_SECRET_ACCESS_KEY']);
  const credentials =
    accessKeyId !== undefined && secretAccessKey !== undefined
      ? { accessKeyId, secretAccessKey }
      : undefined;
  const common = { region, ...(credentials === undefined ? {} : { credentials }) };
  const sqsEndpoint = nonEmpty(env['AWS_ENDPOINT_URL_SQS']) ?? nonEmpty(env['AWS_ENDPOINT_URL']);
  const s3Endpoint = nonEmpty(env['AWS_ENDPOINT_URL_S3']) ?? nonEmpty(env['AWS_ENDPOINT_URL']);
  return {
    queueUrl: dev.intake_queue_url,
    // The emulators' hosts (`sqs.<region>.localhost`, `bucket.localhost`) do not resolve:
    // the endpoints are given explicitly and S3 is addressed by path.
    sqs: new SQSClient({
      ...common,
      ...(sqsEndpoint === undefined ? {} : { endpoint: sqsEndpoint }),
    }),
    s3: new S3Client({
      ...common,
      ...(s3Endpoint === undefined ? {} : { endpoint: s3Endpoint, forcePathStyle: true }),
    }),
    region,
    claimCheckBucket: dev.artifacts_bucket,
    ...localProducerOf(dev.intake_queue_url),
    allowPrivateWebhooks: true,
    ...(dev.destination_allow_list === undefined || dev.destination_allow_list === ''
      ? {}
      : { destinationAllowList: dev.destination_allow_list }),
  };
};

/**
 * Options for a deployed stack, from the file `cdk deploy --outputs-file outputs.json` writes
 * (or its parsed contents): the intake queue, the artifacts bucket for claim checks, the
 * enabled providers and the destination allow-list. Clients use the default AWS credentials
 * chain, in the queue's region.
 */
const clientOptionsFromStackOutputs = (
  outputs: string | Readonly<Record<string, unknown>>,
  stackName = 'Batchlane',
): BatchlaneClientOptions => {
  const all: unknown =
    typeof outputs === 'string' ? JSON.parse(readFileSync(outputs, 'utf8')) : outputs;
  const stack = StackOutputsSchema.parse((all as Record<string, unknown>)[stackName]);
  const enabled = (stack.EnabledProviders ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter((id): id is ProviderName => PROVIDER_ID_PATTERN.test(id));
  return {
    queueUrl: stack.IntakeQueueUrl,
    claimCheckBucket: stack.ArtifactsBucketName,
    ...(enabled.length === 0 ? {} : { enabledProviders: enabled }),
    ...(stack.DestinationAllowList === undefined
      ? {}
      : { destinationAllowList: stack.DestinationAllowList }),
  };
};

export { clientOptionsFromDevFile, clientOptionsFromStackOutputs, DEV_FILE };
