import { z } from 'zod';
import { PROVIDERS } from './providers.js';
import { RESULT_STATUSES } from './result.js';

/** Every event batchlane publishes has this `source`. */
const EVENT_SOURCE = 'batchlane';

const DETAIL_TYPES = {
  batchSubmitted: 'Batch Submitted',
  batchEnded: 'Batch Ended',
  requestRejected: 'Request Rejected',
} as const;

const StatusCountsSchema = z
  .object(Object.fromEntries(RESULT_STATUSES.map((s) => [s, z.number().int().nonnegative()])))
  .describe('Results per final status') as z.ZodObject<
  Record<(typeof RESULT_STATUSES)[number], z.ZodNumber>
>;

const BatchSubmittedDetailSchema = z
  .object({
    batch_id: z.string(),
    provider: z.enum(PROVIDERS),
    provider_batch_id: z.string(),
    endpoint: z.string(),
    models: z.array(z.string()),
    request_count: z.number().int().positive(),
    input_bytes: z.number().int().nonnegative(),
    submitted_at: z.string(),
  })
  .strict();

const BatchEndedDetailSchema = z
  .object({
    batch_id: z.string(),
    provider: z.enum(PROVIDERS),
    provider_batch_id: z.string(),
    request_count: z.number().int().nonnegative(),
    counts: StatusCountsSchema,
    submitted_at: z.string(),
    ended_at: z.string(),
    delivered_at: z.string(),
  })
  .strict();

const RequestRejectedDetailSchema = z
  .object({
    custom_id: z.string().nullable().describe('null when the message had no readable custom_id'),
    reason: z
      .object({
        code: z.string(),
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
type BatchEndedDetail = z.infer<typeof BatchEndedDetailSchema>;
type RequestRejectedDetail = z.infer<typeof RequestRejectedDetailSchema>;
type StatusCounts = z.infer<typeof StatusCountsSchema>;

/** An event as batchlane hands it to the publisher port. */
type BatchlaneEvent =
  | { detailType: typeof DETAIL_TYPES.batchSubmitted; detail: BatchSubmittedDetail }
  | { detailType: typeof DETAIL_TYPES.batchEnded; detail: BatchEndedDetail }
  | { detailType: typeof DETAIL_TYPES.requestRejected; detail: RequestRejectedDetail };

export {
  type BatchEndedDetail,
  BatchEndedDetailSchema,
  type BatchlaneEvent,
  type BatchSubmittedDetail,
  BatchSubmittedDetailSchema,
  DETAIL_TYPES,
  EVENT_SOURCE,
  type RequestRejectedDetail,
  RequestRejectedDetailSchema,
  type StatusCounts,
  StatusCountsSchema,
};
