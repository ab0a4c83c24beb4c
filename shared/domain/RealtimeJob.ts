import { z } from 'zod';
import { DestinationSchema } from '../contract/destination.js';
import { ProviderIdSchema } from '../contract/providers.js';
import { TIERS } from '../contract/request.js';

/**
 * One unit of work for the realtime lane: a request sent there at intake (`target.kind =
 * request`), or a member of a batch that ran late for its deadline (`member`). The request
 * itself (body included) is stored under `request_key`, so a job stays small whatever the
 * body's size.
 */
const RealtimeJobSchema = z
  .object({
    schema: z.literal('batchlane.realtime-job.v1'),
    custom_id: z.string().min(1),
    /** The producer the id belongs to; '' on jobs queued before producers were told apart. */
    producer: z.string().default(''),
    request_hash: z.string().min(1),
    request_key: z.string().min(1),
    provider: ProviderIdSchema,
    endpoint: z.string().min(1),
    model: z.string().min(1),
    lane: z.enum(['flex', 'off_peak', 'realtime']),
    requested: z.enum(TIERS),
    reason: z.string(),
    destination: DestinationSchema.nullable(),
    metadata: z.json().nullable(),
    deadline: z.string().nullable(),
    accepted_at: z.string(),
    /**
     * What was reserved against the budgets for this job, and on which UTC day; settled to
     * what the call cost once it is delivered. 0 and null while no budget is set.
     */
    reserved_nano_usd: z.number().int().nonnegative().default(0),
    reserved_on: z.string().nullable().default(null),
    /**
     * For the off-peak lane: when the provider's discount window opens. Until then the job
     * goes back on the queue with the longest delay that does not pass it.
     */
    hold_until: z.string().nullable().default(null),
    /** Which try this is: a job that failed for now is queued again with attempt + 1. */
    attempt: z.number().int().positive().default(1),
    target: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('request') }).strict(),
      z
        .object({
          kind: z.literal('member'),
          batch_id: z.string().min(1),
          provider_custom_id: z.string().min(1),
          attempts: z.number().int().positive(),
        })
        .strict(),
    ]),
  })
  .strict();

type RealtimeJob = z.output<typeof RealtimeJobSchema>;

/** The folder of one request's realtime objects: its producer's own, like its ledger entry. */
const realtimeFolder = (producer: string, customId: string): string =>
  producer === '' ? `realtime/${customId}` : `realtime/${producer}/${customId}`;

/** Where a request bound for the realtime lane is kept (one object per id and content). */
const realtimeRequestKey = (producer: string, customId: string, requestHash: string): string =>
  `${realtimeFolder(producer, customId)}/${requestHash}.request.json`;

/** Where the provider's answer is kept before delivery, so a rerun never calls it again. */
const realtimeOutcomeKey = (
  job: Pick<RealtimeJob, 'producer' | 'custom_id' | 'request_hash'>,
): string => `${realtimeFolder(job.producer, job.custom_id)}/${job.request_hash}.outcome.json`;

export { type RealtimeJob, RealtimeJobSchema, realtimeOutcomeKey, realtimeRequestKey };
