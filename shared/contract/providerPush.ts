import { z } from 'zod';
import type { ProviderName } from './providers.js';

/**
 * What providers push when a batch ends, as batchlane reads it. Each payload is untrusted: it
 * only names a batch, whose state is then read from the provider itself.
 */

/** Providers that sign batch webhooks (Standard Webhooks, HMAC-SHA256 with a `whsec_` secret). */
const WEBHOOK_PROVIDERS = ['openai', 'gemini'] as const satisfies readonly ProviderName[];
type WebhookProvider = (typeof WEBHOOK_PROVIDERS)[number];

const isWebhookProvider = (value: string): value is WebhookProvider =>
  (WEBHOOK_PROVIDERS as readonly string[]).includes(value);

/**
 * Providers that tell batchlane when a batch ends (a webhook or an EventBridge event). The
 * poller looks at their batches less often: it is the safety net, not the signal.
 */
const PUSH_PROVIDERS: readonly ProviderName[] = [...WEBHOOK_PROVIDERS, 'bedrock'];

/** The event types that mean "this batch has ended" (its results, if any, can be read). */
const ENDED_EVENT_TYPES: Readonly<Record<WebhookProvider, readonly string[]>> = {
  // developers.openai.com/api/reference/resources/webhooks
  openai: ['batch.completed', 'batch.failed', 'batch.expired', 'batch.cancelled'],
  // ai.google.dev/gemini-api/docs/webhooks; `batch.completed` appears in some copies of it.
  gemini: [
    'batch.succeeded',
    'batch.completed',
    'batch.failed',
    'batch.expired',
    'batch.cancelled',
  ],
};

/**
 * A batch webhook's body: OpenAI `{id, object: "event", created_at, type, data: {id}}`, Gemini
 * `{type, version, timestamp, data: {id, …}}`. Only `type` and `data.id` are read; other fields
 * pass through unchecked, and the type list is open (unknown types are ignored, not refused).
 */
const BatchWebhookEventSchema = z.object({
  type: z.string().min(1).max(200),
  data: z.object({ id: z.string().min(1).max(512) }),
});
type BatchWebhookEvent = z.infer<typeof BatchWebhookEventSchema>;

/**
 * Bedrock's "Batch Inference Job State Change" on the default bus, sent to the completion
 * queue by the stack's rule. Only the job's name is read: it names batchlane's batch, whose
 * state completion then reads from Bedrock itself.
 */
const BedrockJobStateChangeSchema = z.object({
  source: z.literal('aws.bedrock'),
  'detail-type': z.string().optional(),
  time: z.string().optional(),
  detail: z.object({ batchJobName: z.string().min(1), status: z.string().optional() }),
});
type BedrockJobStateChange = z.infer<typeof BedrockJobStateChangeSchema>;

/**
 * A completion queue message: `{batch_id}` (from the poller, the webhook receiver, a
 * completion run that hands a batch on) or a Bedrock job event (from the stack's rule).
 */
const CompletionQueueMessageSchema = z
  .string()
  .transform((body, ctx) => {
    try {
      return JSON.parse(body) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'not JSON' });
      return z.NEVER;
    }
  })
  .pipe(z.union([z.object({ batch_id: z.string().min(1) }), BedrockJobStateChangeSchema]));
type CompletionQueueMessage = z.infer<typeof CompletionQueueMessageSchema>;

export {
  type BatchWebhookEvent,
  BatchWebhookEventSchema,
  type BedrockJobStateChange,
  BedrockJobStateChangeSchema,
  type CompletionQueueMessage,
  CompletionQueueMessageSchema,
  ENDED_EVENT_TYPES,
  isWebhookProvider,
  PUSH_PROVIDERS,
  WEBHOOK_PROVIDERS,
  type WebhookProvider,
};
