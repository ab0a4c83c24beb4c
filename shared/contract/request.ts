import { z } from 'zod';
import { DestinationSchema } from './destination.js';
import { DEFAULT_ENDPOINT, PROVIDER_ENDPOINTS, PROVIDERS } from './providers.js';

/** The caller's id: also the provider-side `custom_id` charset, and batchlane's idempotency key. */
const CUSTOM_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** Lanes a request may ask for. Only `batch` is served in v1; the others are reserved. */
const TIERS = ['batch', 'flex', 'auto'] as const;
const SUPPORTED_TIERS: readonly string[] = ['batch'];

const ALL_ENDPOINTS = [...new Set(Object.values(PROVIDER_ENDPOINTS).flat())] as [
  string,
  ...string[],
];

/**
 * One request message: the body of one SQS message on the intake queue (contract v1).
 * Provider-specific rules (endpoint per provider, required body fields, no streaming) are
 * checked in {@link RequestV1Schema}'s refinement so each failure names its own reason.
 */
const RequestV1BaseSchema = z
  .object({
    custom_id: z
      .string({ error: 'custom_id is required and must be a string' })
      .regex(CUSTOM_ID_PATTERN, 'custom_id must match ^[A-Za-z0-9_-]{1,64}$'),
    provider: z.enum(PROVIDERS, { error: `provider must be one of: ${PROVIDERS.join(', ')}` }),
    endpoint: z
      .enum(ALL_ENDPOINTS, { error: `endpoint must be one of: ${ALL_ENDPOINTS.join(', ')}` })
      .optional(),
    body: z
      .record(z.string(), z.unknown(), { error: 'body must be a JSON object' })
      .describe("The provider's own, non-streaming request parameters"),
    destination: DestinationSchema.optional(),
    metadata: z.json().optional().describe('Any JSON; echoed back on the result'),
    tier: z.enum(TIERS, { error: `tier must be one of: ${TIERS.join(', ')}` }).default('batch'),
    deadline: z.iso
      .datetime({ offset: true, error: 'deadline must be an ISO-8601 date-time' })
      .optional(),
  })
  .strict();

type IssueReason =
  | 'unsupported_endpoint'
  | 'stream_not_supported'
  | 'invalid_body'
  | 'unsupported_tier';

const reasonIssue = (reason: IssueReason, path: (string | number)[], message: string) => ({
  code: 'custom' as const,
  path,
  message,
  params: { reason },
});

const RequestV1Schema = RequestV1BaseSchema.superRefine((request, ctx) => {
  const endpoint = request.endpoint ?? DEFAULT_ENDPOINT[request.provider];
  const allowed: readonly string[] = PROVIDER_ENDPOINTS[request.provider];
  if (!allowed.includes(endpoint)) {
    ctx.addIssue(
      reasonIssue(
        'unsupported_endpoint',
        ['endpoint'],
        `endpoint ${endpoint} is not available for provider ${request.provider} (use ${allowed.join(', ')})`,
      ),
    );
  }
  if (!SUPPORTED_TIERS.includes(request.tier)) {
    ctx.addIssue(
      reasonIssue(
        'unsupported_tier',
        ['tier'],
        `tier "${request.tier}" is reserved and not served yet; use "batch" or omit tier`,
      ),
    );
  }
  const { body } = request;
  if (body['stream'] !== undefined && body['stream'] !== false) {
    ctx.addIssue(
      reasonIssue(
        'stream_not_supported',
        ['body', 'stream'],
        'body.stream must be absent or false: batch APIs do not stream',
      ),
    );
  }
  if (typeof body['model'] !== 'string' || body['model'].length === 0) {
    ctx.addIssue(
      reasonIssue('invalid_body', ['body', 'model'], 'body.model must be a non-empty string'),
    );
  }
  if (endpoint === '/v1/messages') {
    const maxTokens = body['max_tokens'];
    if (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens) || maxTokens < 1) {
      ctx.addIssue(
        reasonIssue(
          'invalid_body',
          ['body', 'max_tokens'],
          'body.max_tokens must be an integer >= 1',
        ),
      );
    }
  }
  if (endpoint === '/v1/messages' || endpoint === '/v1/chat/completions') {
    const messages = body['messages'];
    if (!Array.isArray(messages) || messages.length === 0) {
      ctx.addIssue(
        reasonIssue(
          'invalid_body',
          ['body', 'messages'],
          'body.messages must be a non-empty array',
        ),
      );
    }
  }
  if (
    (endpoint === '/v1/embeddings' || endpoint === '/v1/responses') &&
    body['input'] === undefined
  ) {
    ctx.addIssue(
      reasonIssue('invalid_body', ['body', 'input'], `body.input is required for ${endpoint}`),
    );
  }
});

/** A request as accepted: defaults applied, endpoint resolved. */
type RequestV1Input = z.input<typeof RequestV1Schema>;
type RequestV1 = z.output<typeof RequestV1Schema>;

export {
  CUSTOM_ID_PATTERN,
  type IssueReason,
  type RequestV1,
  RequestV1BaseSchema,
  type RequestV1Input,
  RequestV1Schema,
  SUPPORTED_TIERS,
  TIERS,
};
