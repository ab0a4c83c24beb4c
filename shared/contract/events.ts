import { z } from 'zod';
import { ProviderIdSchema } from './providers.js';
import { REJECTION_CODES } from './rejections.js';
import { PRODUCER_FIELD, RESULT_STATUSES } from './result.js';

/** Every event batchlane publishes has this `source`. */
const EVENT_SOURCE = 'batchlane';

const DETAIL_TYPES = {
  batchSubmitted: 'Batch Submitted',
  batchEnded: 'Batch Ended',
  batchDelivered: 'Batch Delivered',
  requestCompleted: 'Request Completed',
  requestRejected: 'Request Rejected',
  requestsHeld: 'Requests Held',
  batchStuck: 'Batch Stuck',
  batchUndeliverable: 'Batch Undeliverable',
} as const;

/** Members of a batch per outcome; `retried` members went on to a new batch. */
const COUNT_KEYS = [...RESULT_STATUSES, 'retried'] as const;

const StatusCountsSchema = z
  .object(Object.fromEntries(COUNT_KEYS.map((s) => [s, z.number().int().nonnegative()])))
  .describe('Members per outcome') as z.ZodObject<Record<(typeof COUNT_KEYS)[number], z.ZodNumber>>;

const BatchSubmittedDetailSchema = z
  .object({
    batch_id: z.string(),
    provider: ProviderIdSchema,
    provider_batch_id: z.string(),
    endpoint: z.string(),
    models: z.array(z.string()),
    request_count: z.number().int().positive(),
    input_bytes: z.number().int().nonnegative(),
    submitted_at: z.string(),
    expected_end: z
      .object({
        at: z
          .string()
          .describe(
            'The typical (p50) end from the recorded history, or the provider expiry without one',
          ),
        likely_by: z
          .string()
          .nullable()
          .describe('The end 9 in 10 recorded batches beat (p90); null without history'),
        basis: z
          .object({
            batches: z.number().int().positive().describe('Recorded batches the figures rest on'),
            model: z.string().describe('The model they ran (`*` for a mix)'),
          })
          .strict()
          .nullable()
          .describe('null: no history yet, `at` is the provider expiry'),
      })
      .strict()
      .nullable()
      .optional()
      .describe('When the batch is expected to end; null when nothing is known'),
  })
  .strict();

/**
 * A submitted batch that made no progress for longer than its provider and model's p99
 * turnaround (or the configured floor), or that will pass a member's deadline; once per
 * stuck episode, with what the deployment's policy did about it.
 */
const BatchStuckDetailSchema = z
  .object({
    batch_id: z.string(),
    provider: ProviderIdSchema,
    provider_batch_id: z.string(),
    models: z.array(z.string()),
    request_count: z.number().int().nonnegative(),
    provider_status: z.string().nullable(),
    reason: z
      .enum(['no_progress', 'deadline'])
      .describe(
        '`no_progress`: no new provider status for `limit_seconds`; `deadline`: it will pass `deadline`',
      ),
    submitted_at: z.string(),
    no_progress_since: z.string(),
    limit_seconds: z.number().nonnegative(),
    basis: z
      .object({ batches: z.number().int().positive() })
      .strict()
      .nullable()
      .describe('Recorded batches the p99 limit rests on; null: the configured floor'),
    deadline: z.string().nullable(),
    policy: z.enum(['leave', 'cancel_resubmit', 'escalate']),
    action: z
      .object({
        cancel: z
          .boolean()
          .describe(
            'The batch is being cancelled at the provider; its unfinished members go to a retry batch',
          ),
        escalate: z
          .boolean()
          .describe('Its members with a deadline are being handed to the realtime lane'),
      })
      .strict()
      .describe('What the policy does about it, published before it is done'),
    stuck_at: z.string(),
  })
  .strict();

/**
 * An ended batch whose results can no longer be routed: a file completion needs (a part's
 * member sidecar, an archived result file, the input file) is gone from the artifacts bucket.
 * Completion stops trying; once the file is back (the bucket is versioned), the batch is
 * handed to completion again by hand (see docs/deploy.md).
 */
const BatchUndeliverableDetailSchema = z
  .object({
    batch_id: z.string(),
    provider: ProviderIdSchema,
    provider_batch_id: z.string().nullable(),
    request_count: z.number().int().nonnegative(),
    code: z
      .enum(['artifacts_missing'])
      .describe('`artifacts_missing`: a file the batch needs has expired or was deleted'),
    missing: z.string().describe('What is gone: the object, `s3://bucket/key`'),
    created_at: z.string(),
    ended_at: z.string().nullable(),
    detected_at: z.string(),
  })
  .strict();

/** A batch's cost: its delivered results summed (members sent on to a retry batch excluded). */
const BatchCostSchema = z
  .object({
    usd: z.number().nonnegative(),
    realtime_usd: z.number().nonnegative(),
    saved_usd: z.number(),
    input_tokens: z.number().int().nonnegative(),
    output_tokens: z.number().int().nonnegative(),
    cache_read_input_tokens: z.number().int().nonnegative(),
    cache_creation_input_tokens: z.number().int().nonnegative(),
    by_model: z.record(
      z.string(),
      z
        .object({
          requests: z.number().int().nonnegative(),
          usd: z.number().nonnegative(),
          realtime_usd: z.number().nonnegative(),
        })
        .strict(),
    ),
  })
  .strict();

const BatchEndedDetailSchema = z
  .object({
    batch_id: z.string(),
    provider: ProviderIdSchema,
    provider_batch_id: z.string(),
    request_count: z.number().int().nonnegative(),
    counts: StatusCountsSchema,
    cost: BatchCostSchema,
    submitted_at: z.string(),
    ended_at: z.string(),
    delivered_at: z.string(),
    results_gone: z
      .array(z.string())
      .optional()
      .describe(
        'The result references (results URL, file id) the provider no longer kept when batchlane came to archive them (past its retention, or deleted): the requests they answered were sent again (`retried`) or delivered `errored` with error type `provider_results_gone`. Absent when every result was kept',
      ),
  })
  .strict();

const BatchDeliveredDetailSchema = z
  .object({
    batch_id: z.string(),
    provider: ProviderIdSchema,
    provider_batch_id: z.string(),
    request_count: z.number().int().nonnegative(),
    counts: StatusCountsSchema.describe(
      'Results delivered per status; `retried` went to retry_batch_ids',
    ),
    retry_batch_ids: z.array(z.string()),
    delivered_at: z.string(),
  })
  .strict();

const RequestCompletedDetailSchema = z
  .object({
    custom_id: z.string(),
    producer: PRODUCER_FIELD,
    status: z.enum(RESULT_STATUSES),
    batch_id: z.string().nullable().describe('null when the realtime lane served the request'),
    provider: ProviderIdSchema,
    model: z.string().nullable(),
    lane: z.enum(['batch', 'flex', 'off_peak', 'realtime']),
    attempts: z.number().int().nonnegative(),
    destination_type: z.string(),
    accepted_at: z.string().nullable(),
    delivered_at: z.string(),
  })
  .strict()
  .describe(
    'One per delivered result, when the deployment enables it; the result itself went to the destination',
  );

const RequestRejectedDetailSchema = z
  .object({
    custom_id: z.string().nullable().describe('null when the message had no readable custom_id'),
    producer: PRODUCER_FIELD,
    reason: z
      .object({
        code: z.enum(REJECTION_CODES).describe('See README "Rejection reasons"'),
        message: z.string(),
        issues: z.array(z.object({ path: z.string(), message: z.string() })),
      })
      .strict(),
    message_id: z.string().describe('The SQS message id of the rejected message'),
    result_delivered: z
      .boolean()
      .describe('Whether a `rejected` result also went to a destination'),
    rejected_at: z.string(),
  })
  .strict();

type BatchSubmittedDetail = z.infer<typeof BatchSubmittedDetailSchema>;
type BatchStuckDetail = z.infer<typeof BatchStuckDetailSchema>;
type BatchUndeliverableDetail = z.infer<typeof BatchUndeliverableDetailSchema>;
/**
 * Requests accepted but held back: by admission (a provider quota or a spending budget), when
 * they wait in the intake queue, or as a whole batch whose model already has as many jobs
 * running as the provider allows (`quota_jobs`, Bedrock) or as many prompt tokens enqueued
 * (`quota_enqueued_tokens`, a profile's `maxEnqueuedTokens`), when the batch waits `open`. Either
 * way they are tried again after `retry_in_seconds`; none is lost.
 */
const RequestsHeldDetailSchema = z
  .object({
    reason: z.enum([
      'quota_requests',
      'quota_tokens',
      'budget_daily',
      'budget_monthly',
      'quota_jobs',
      'quota_enqueued_tokens',
    ]),
    producer: PRODUCER_FIELD,
    provider: ProviderIdSchema,
    model: z.string(),
    requests: z.number().int().positive(),
    custom_ids: z
      .array(z.string())
      .describe(
        'The first 50 held ids (empty for `quota_jobs` and `quota_enqueued_tokens`: the batch is held whole)',
      ),
    batch_id: z
      .string()
      .optional()
      .describe('The held batch (`quota_jobs` and `quota_enqueued_tokens` only)'),
    retry_in_seconds: z.number().int().nonnegative(),
    held_at: z.string(),
  })
  .strict();

type RequestsHeldDetail = z.infer<typeof RequestsHeldDetailSchema>;
type BatchEndedDetail = z.infer<typeof BatchEndedDetailSchema>;
type BatchCost = z.infer<typeof BatchCostSchema>;
type RequestRejectedDetail = z.infer<typeof RequestRejectedDetailSchema>;
type BatchDeliveredDetail = z.infer<typeof BatchDeliveredDetailSchema>;
type RequestCompletedDetail = z.infer<typeof RequestCompletedDetailSchema>;
type StatusCounts = z.infer<typeof StatusCountsSchema>;

/** The schema of each event's detail, by detail-type: the ones `schemas/events.v1.json` publishes. */
const DETAIL_SCHEMAS = {
  [DETAIL_TYPES.batchSubmitted]: BatchSubmittedDetailSchema,
  [DETAIL_TYPES.batchEnded]: BatchEndedDetailSchema,
  [DETAIL_TYPES.batchDelivered]: BatchDeliveredDetailSchema,
  [DETAIL_TYPES.requestCompleted]: RequestCompletedDetailSchema,
  [DETAIL_TYPES.requestRejected]: RequestRejectedDetailSchema,
  [DETAIL_TYPES.requestsHeld]: RequestsHeldDetailSchema,
  [DETAIL_TYPES.batchStuck]: BatchStuckDetailSchema,
  [DETAIL_TYPES.batchUndeliverable]: BatchUndeliverableDetailSchema,
} as const;

/** An event as batchlane hands it to the publisher port. */
type BatchlaneEvent =
  | { detailType: typeof DETAIL_TYPES.batchSubmitted; detail: BatchSubmittedDetail }
  | { detailType: typeof DETAIL_TYPES.batchEnded; detail: BatchEndedDetail }
  | { detailType: typeof DETAIL_TYPES.batchDelivered; detail: BatchDeliveredDetail }
  | { detailType: typeof DETAIL_TYPES.requestCompleted; detail: RequestCompletedDetail }
  | { detailType: typeof DETAIL_TYPES.requestRejected; detail: RequestRejectedDetail }
  | { detailType: typeof DETAIL_TYPES.requestsHeld; detail: RequestsHeldDetail }
  | { detailType: typeof DETAIL_TYPES.batchStuck; detail: BatchStuckDetail }
  | { detailType: typeof DETAIL_TYPES.batchUndeliverable; detail: BatchUndeliverableDetail };

export {
  type BatchCost,
  BatchCostSchema,
  type BatchDeliveredDetail,
  BatchDeliveredDetailSchema,
  type BatchEndedDetail,
  BatchEndedDetailSchema,
  type BatchlaneEvent,
  type BatchStuckDetail,
  BatchStuckDetailSchema,
  type BatchSubmittedDetail,
  BatchSubmittedDetailSchema,
  type BatchUndeliverableDetail,
  BatchUndeliverableDetailSchema,
  COUNT_KEYS,
  DETAIL_SCHEMAS,
  DETAIL_TYPES,
  EVENT_SOURCE,
  type RequestCompletedDetail,
  RequestCompletedDetailSchema,
  type RequestRejectedDetail,
  RequestRejectedDetailSchema,
  type RequestsHeldDetail,
  RequestsHeldDetailSchema,
  type StatusCounts,
  StatusCountsSchema,
};
