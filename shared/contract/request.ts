import { z } from 'zod';
import { DestinationSchema } from './destination.js';
import { BUILT_IN_REGISTRY, type ProviderRegistry } from './providerRegistry.js';
import { PROVIDER_ENDPOINTS, PROVIDER_ID_PATTERN, PROVIDERS } from './providers.js';

/** The caller's id: also the provider-side `custom_id` charset, and batchlane's idempotency key. */
const CUSTOM_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Lanes a request may ask for: `batch` (the provider's batch API, the default), `flex`
 * (OpenAI's `service_tier: "flex"`, called synchronously: batch prices, minutes not hours) and
 * `auto` (batchlane picks by `deadline`, and escalates a batch that runs late).
 */
const TIERS = ['batch', 'flex', 'auto', 'off_peak'] as const;
type Tier = (typeof TIERS)[number];
/**
 * Where a flex tier exists: OpenAI's synchronous text endpoints (not embeddings) and
 * Gemini's `generateContent` (`serviceTier: "flex"`). Endpoint names are unique to their
 * provider, so the endpoint alone says whether flex is offered.
 */
const FLEX_ENDPOINTS: readonly string[] = [
  '/v1/chat/completions',
  '/v1/responses',
  'generateContent',
];

/**
 * Where a claim-checked body lives: `s3://bucket/key`. The bucket rule is S3's naming rule;
 * the key is anything non-empty.
 */
const CLAIM_CHECK_URI_PATTERN = /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/.+$/;

/**
 * A Bedrock model id as `CreateModelInvocationJob` and `InvokeModel` take it: a base model id
 * (`anthropic.claude-haiku-4-5-20251001-v1:0`), a system inference profile id
 * (`us.amazon.nova-lite-v1:0`), or the ARN of a foundation model, inference profile,
 * application inference profile or custom model.
 */
const BEDROCK_MODEL_ID_PATTERN =
  /^(arn:aws(-[a-z-]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{0,12}:(foundation-model|inference-profile|application-inference-profile|custom-model)\/[A-Za-z0-9.:/_+-]{1,1900}|[A-Za-z0-9][A-Za-z0-9.:_-]{0,255})$/;

const ALL_ENDPOINTS = [...new Set(Object.values(PROVIDER_ENDPOINTS).flat())] as [
  string,
  ...string[],
];

const BodySchema = z
  .record(z.string(), z.unknown(), { error: 'body must be a JSON object' })
  .describe("The provider's own, non-streaming request parameters");

/** The fields every request has, whether its body came inline or by claim check. */
const leadingFields = {
  custom_id: z
    .string({ error: 'custom_id is required and must be a string' })
    .regex(CUSTOM_ID_PATTERN, 'custom_id must match ^[A-Za-z0-9_-]{1,64}$'),
  provider: z
    .string({ error: 'provider is required and must be a string' })
    .regex(
      PROVIDER_ID_PATTERN,
      `provider must be a provider id (${PROVIDER_ID_PATTERN.source}): one of ${PROVIDERS.join(', ')}, or a profile this deployment defines`,
    )
    .describe(
      `A built-in provider (${PROVIDERS.join(', ')}) or the id of a provider profile the deployment defines; an id the deployment does not know is refused (unknown_provider)`,
    ),
  endpoint: z
    .enum(ALL_ENDPOINTS, { error: `endpoint must be one of: ${ALL_ENDPOINTS.join(', ')}` })
    .optional(),
  model: z
    .string({ error: 'model must be a string' })
    .min(1, 'model must be a non-empty string')
    .max(2048, 'model must be at most 2048 characters')
    .optional()
    .describe(
      'The model, for providers whose body does not name it (bedrock: a model id, inference profile id or ARN). Elsewhere optional, and equal to body.model when given',
    ),
};
const trailingFields = {
  destination: DestinationSchema.optional(),
  metadata: z.json().optional().describe('Any JSON; echoed back on the result'),
  tier: z.enum(TIERS, { error: `tier must be one of: ${TIERS.join(', ')}` }).default('batch'),
  deadline: z.iso
    .datetime({ offset: true, error: 'deadline must be an ISO-8601 date-time' })
    .optional(),
};

/**
 * One request message as a producer sends it: the body of one SQS message on the intake
 * queue (contract v1). The body comes inline (`body`) or, when it would not fit in an SQS
 * message, as a claim check (`body_s3_uri`): exactly one of the two. The published JSON
 * Schema says so with `oneOf`; the collector enforces it with its own rejection codes
 * before it resolves the claim check and validates the result with {@link RequestV1Schema}.
 */
const RequestV1BaseSchema = z
  .object({
    ...leadingFields,
    body: BodySchema.optional(),
    body_s3_uri: z
      .string()
      .regex(CLAIM_CHECK_URI_PATTERN, 'body_s3_uri must be s3://bucket/key')
      .optional()
      .describe(
        'Instead of body: an S3 object holding the body as JSON, for bodies larger than an SQS message',
      ),
    ...trailingFields,
  })
  .strict()
  .meta({ oneOf: [{ required: ['body'] }, { required: ['body_s3_uri'] }] });

/** A request with its body in hand (inline, or read from its claim check). */
const ResolvedRequestV1BaseSchema = z
  .object({ ...leadingFields, body: BodySchema, ...trailingFields })
  .strict();

type IssueReason =
  | 'unknown_provider'
  | 'invalid_model'
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

/**
 * Bedrock names the model outside the body (the job's `modelId`, InvokeModel's path), and
 * the body is the model's native request, which has no `model` member: a body that carries
 * one would fail at Bedrock line by line, so it is refused here with what to change.
 */
const checkBedrockModel = (
  model: string | undefined,
  body: Record<string, unknown>,
  ctx: z.RefinementCtx,
): void => {
  if (model === undefined) {
    ctx.addIssue(
      reasonIssue(
        'invalid_model',
        ['model'],
        "model is required for bedrock: the model id, inference profile id or ARN (the body is the model's native request)",
      ),
    );
  } else if (!BEDROCK_MODEL_ID_PATTERN.test(model)) {
    ctx.addIssue(
      reasonIssue(
        'invalid_model',
        ['model'],
        `model "${model.slice(0, 80)}" is not a Bedrock model id, inference profile id or bedrock ARN`,
      ),
    );
  }
  if (body['model'] !== undefined) {
    ctx.addIssue(
      reasonIssue(
        'invalid_body',
        ['body', 'model'],
        'body.model is not part of a Bedrock model input: name the model in the top-level model field',
      ),
    );
  }
};

/**
 * A resolved request with the provider-specific rules (a provider the deployment knows,
 * endpoint per provider, required body fields, no streaming) checked in a refinement, so each
 * failure names its own reason.
 */
const buildRequestV1Schema = (registry: ProviderRegistry) =>
  ResolvedRequestV1BaseSchema.superRefine((request, ctx) => {
    // A malformed id is refused by the pattern alone: its value is not echoed back.
    if (!PROVIDER_ID_PATTERN.test(request.provider)) return;
    if (!registry.has(request.provider)) {
      ctx.addIssue(
        reasonIssue(
          'unknown_provider',
          ['provider'],
          `provider "${request.provider}" is unknown: use one of ${registry.ids.join(', ')}`,
        ),
      );
      return;
    }
    const endpoint = request.endpoint ?? registry.defaultEndpointOf(request.provider);
    const allowed: readonly string[] = registry.endpointsOf(request.provider);
    if (!allowed.includes(endpoint)) {
      ctx.addIssue(
        reasonIssue(
          'unsupported_endpoint',
          ['endpoint'],
          `endpoint ${endpoint} is not available for provider ${request.provider} (use ${allowed.join(', ')})`,
        ),
      );
    }
    const rule = registry.laneRuleOf(request.provider, request.tier);
    if (rule.kind === 'unsupported') {
      ctx.addIssue(
        reasonIssue(
          'unsupported_tier',
          ['tier'],
          `tier "${request.tier}" is not offered: ${rule.why}`,
        ),
      );
    } else if (request.tier === 'flex' && !FLEX_ENDPOINTS.includes(endpoint)) {
      ctx.addIssue(
        reasonIssue(
          'unsupported_tier',
          ['tier'],
          `tier "flex" is offered by openai on /v1/chat/completions and /v1/responses and by gemini on generateContent only; use "batch" or "auto"`,
        ),
      );
    }
    if (request.tier === 'auto' && request.deadline === undefined) {
      ctx.addIssue(
        reasonIssue(
          'unsupported_tier',
          ['deadline'],
          'tier "auto" chooses its lane by deadline: give a deadline, or use tier "batch"',
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
    if (request.provider === 'bedrock') {
      checkBedrockModel(request.model, body, ctx);
    } else if (typeof body['model'] !== 'string' || body['model'].length === 0) {
      ctx.addIssue(
        reasonIssue('invalid_body', ['body', 'model'], 'body.model must be a non-empty string'),
      );
    } else if (request.model !== undefined && request.model !== body['model']) {
      ctx.addIssue(
        reasonIssue(
          'invalid_model',
          ['model'],
          `model "${request.model}" differs from body.model "${body['model']}"; give it once, in body.model`,
        ),
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
    if (endpoint === '/v1/fim/completions' && typeof body['prompt'] !== 'string') {
      ctx.addIssue(reasonIssue('invalid_body', ['body', 'prompt'], 'body.prompt must be a string'));
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
    if (endpoint === 'generateContent') {
      const contents = body['contents'];
      if (!Array.isArray(contents) || contents.length === 0) {
        ctx.addIssue(
          reasonIssue(
            'invalid_body',
            ['body', 'contents'],
            'body.contents must be a non-empty array',
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

type RequestV1Schema = ReturnType<typeof buildRequestV1Schema>;

const schemas = new WeakMap<ProviderRegistry, RequestV1Schema>();

/** The resolved-request schema for a deployment's providers (built once per registry). */
const requestV1SchemaFor = (registry: ProviderRegistry): RequestV1Schema => {
  let schema = schemas.get(registry);
  if (schema === undefined) {
    schema = buildRequestV1Schema(registry);
    schemas.set(registry, schema);
  }
  return schema;
};

/** The resolved-request schema for the built-in providers. */
const RequestV1Schema = requestV1SchemaFor(BUILT_IN_REGISTRY);

/** A request message as a producer writes it. */
type RequestV1Input = z.input<typeof RequestV1BaseSchema>;
/** A request as accepted: body resolved, defaults applied. */
type RequestV1 = z.output<typeof RequestV1Schema>;

export {
  BEDROCK_MODEL_ID_PATTERN,
  CLAIM_CHECK_URI_PATTERN,
  CUSTOM_ID_PATTERN,
  FLEX_ENDPOINTS,
  type IssueReason,
  type RequestV1,
  RequestV1BaseSchema,
  type RequestV1Input,
  RequestV1Schema,
  ResolvedRequestV1BaseSchema,
  requestV1SchemaFor,
  TIERS,
  type Tier,
};
