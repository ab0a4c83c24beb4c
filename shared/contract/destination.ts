import { z } from 'zod';
import { INTAKE_BOUNDS } from './rejections.js';

/**
 * Where a request's result is delivered. Part of the public contract v1.
 *
 * The webhook URL is checked for shape here; whether its host may be called at all
 * (no loopback, link-local, private or metadata addresses) is decided at delivery time,
 * because only then is the name resolved.
 */
const SqsDestinationSchema = z
  .object({
    type: z.literal('sqs'),
    queue_url: z
      .url({ protocol: /^https?$/ })
      .max(INTAKE_BOUNDS.urlMaxLength)
      .describe('URL of the SQS queue that receives results'),
  })
  .strict();

const S3DestinationSchema = z
  .object({
    type: z.literal('s3'),
    bucket: z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a valid S3 bucket name'),
    prefix: z
      .string()
      .max(512)
      .default('')
      .describe('Key prefix; results land in JSONL objects under it, grouped per batch'),
  })
  .strict();

const EventBridgeDestinationSchema = z
  .object({
    type: z.literal('eventbridge'),
    event_bus_name: z.string().min(1).max(1600).describe('Name or ARN of the event bus'),
  })
  .strict();

const WebhookDestinationSchema = z
  .object({
    type: z.literal('webhook'),
    url: z
      .url({ protocol: /^https?$/ })
      .max(INTAKE_BOUNDS.urlMaxLength)
      .describe('Receives a signed POST per result group'),
  })
  .strict();

const DestinationSchema = z.discriminatedUnion('type', [
  SqsDestinationSchema,
  S3DestinationSchema,
  EventBridgeDestinationSchema,
  WebhookDestinationSchema,
]);

type Destination = z.infer<typeof DestinationSchema>;
type DestinationType = Destination['type'];

/** A stable string for grouping results that go to the same place. */
const destinationKey = (destination: Destination): string => {
  switch (destination.type) {
    case 'sqs':
      return `sqs:${destination.queue_url}`;
    case 's3':
      return `s3:${destination.bucket}/${destination.prefix}`;
    case 'eventbridge':
      return `eventbridge:${destination.event_bus_name}`;
    case 'webhook':
      return `webhook:${destination.url}`;
  }
};

export {
  type Destination,
  DestinationSchema,
  type DestinationType,
  destinationKey,
  EventBridgeDestinationSchema,
  S3DestinationSchema,
  SqsDestinationSchema,
  WebhookDestinationSchema,
};
