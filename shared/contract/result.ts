import { z } from 'zod';
import { ProviderIdSchema } from './providers.js';
import { TIERS } from './request.js';

const RESULT_STATUSES = ['succeeded', 'errored', 'expired', 'canceled', 'rejected'] as const;
type ResultStatus = (typeof RESULT_STATUSES)[number];

/** Token counts normalised across providers; `null` where the provider returned none. */
const UsageSchema = z
  .object({
    input_tokens: z.number().int().nonnegative().describe('Uncached input tokens'),
    output_tokens: z.number().int().nonnegative(),
    cache_read_input_tokens: z.number().int().nonnegative(),
    cache_creation_input_tokens: z.number().int().nonnegative(),
  })
  .strict();

/**
 * What a request cost, from the usage the provider returned and batchlane's price table:
 * `realtime_usd` is the same usage at standard synchronous prices, `saved_usd` the difference.
 */
const CostSchema = z
  .object({
    usd: z.number().nonnegative(),
    realtime_usd: z.number().nonnegative(),
    saved_usd: z.number(),
    basis: z
      .enum(['usage', 'no_usage', 'unpriced_model'])
      .describe(
        'usage: priced from the returned usage; no_usage: nothing ran, nothing billed; unpriced_model: the model is not in the price table',
      ),
    billed_as: z
      .enum(['batch', 'flex', 'off_peak', 'standard', 'priority'])
      .nullable()
      .describe('The price column applied: the tier the provider reports, not the one asked for'),
    price_version: z.string().nullable().describe('Version of the price table used'),
  })
  .strict();

/** Which lane served a request, and why. */
const LaneSchema = z
  .object({
    requested: z.enum(TIERS),
    served_by: z.enum(['batch', 'flex', 'off_peak', 'realtime']).nullable(),
    reason: z.string(),
  })
  .strict();

const ResultErrorSchema = z
  .object({
    type: z.string().describe('Provider error type or batchlane rejection code'),
    message: z.string(),
  })
  .strict();

/**
 * Who sent the request: the producer its `custom_id` belongs to (the sender's IAM principal id
 * as SQS records it, or the namespace the deployment maps it to). Absent on records written
 * before producers were told apart.
 */
const PRODUCER_FIELD = z
  .string()
  .optional()
  .describe(
    "The producer the custom_id belongs to: the sender's IAM principal id as SQS records it (SenderId up to its ':'), or the namespace the deployment maps it to",
  );

/**
 * One result record, delivered to the request's destination (contract v1).
 * Exactly one is delivered for each accepted `custom_id`.
 */
const ResultV1Schema = z
  .object({
    schema: z.literal('batchlane.result.v1'),
    custom_id: z.string(),
    producer: PRODUCER_FIELD,
    status: z.enum(RESULT_STATUSES),
    provider: ProviderIdSchema.nullable(),
    endpoint: z.string().nullable(),
    model: z.string().nullable(),
    batch_id: z.string().nullable().describe("batchlane's batch id"),
    provider_batch_id: z.string().nullable(),
    response: z
      .json()
      .nullable()
      .describe("The provider's own Message / ChatCompletion / Embedding / Response object"),
    error: ResultErrorSchema.nullable(),
    usage: UsageSchema.nullable(),
    cost: CostSchema,
    lane: LaneSchema,
    attempts: z.number().int().nonnegative(),
    metadata: z.json().nullable(),
    accepted_at: z.string().nullable(),
    submitted_at: z.string().nullable(),
    ended_at: z.string().nullable(),
    delivered_at: z.string(),
  })
  .strict();

type ResultV1 = z.infer<typeof ResultV1Schema>;

/**
 * What is delivered in place of a result too large for its destination's message limit (an
 * SQS message, an EventBridge event): the full result is the JSON object at `s3_uri`, in
 * batchlane's bucket under `results/oversize/`.
 */
const ResultPointerV1Schema = z
  .object({
    schema: z.literal('batchlane.result-pointer.v1'),
    custom_id: z.string(),
    status: z.enum(RESULT_STATUSES),
    s3_uri: z.string().regex(/^s3:\/\/[^/]+\/.+$/),
  })
  .strict();
type ResultPointerV1 = z.infer<typeof ResultPointerV1Schema>;

/** detail-type of result events on a caller's bus (an `eventbridge` destination). */
const RESULT_DETAIL_TYPE = 'Request Result';
type Usage = z.infer<typeof UsageSchema>;
type ResultError = z.infer<typeof ResultErrorSchema>;
type Cost = z.infer<typeof CostSchema>;
type Lane = z.infer<typeof LaneSchema>;

export {
  type Cost,
  CostSchema,
  type Lane,
  LaneSchema,
  PRODUCER_FIELD,
  RESULT_DETAIL_TYPE,
  RESULT_STATUSES,
  type ResultError,
  ResultErrorSchema,
  type ResultPointerV1,
  ResultPointerV1Schema,
  type ResultStatus,
  type ResultV1,
  ResultV1Schema,
  type Usage,
  UsageSchema,
};
