import type { z } from 'zod';
import type { Destination } from '../contract/destination.js';
import { DestinationSchema } from '../contract/destination.js';
import { BUILT_IN_REGISTRY, type ProviderRegistry } from '../contract/providerRegistry.js';
import {
  PROVIDER_LIMITS,
  type ProviderEndpoint,
  type ProviderName,
} from '../contract/providers.js';
import { INTAKE_BOUNDS, REJECTION_CODES, type RejectionCode } from '../contract/rejections.js';
import {
  CLAIM_CHECK_URI_PATTERN,
  CUSTOM_ID_PATTERN,
  type RequestV1,
  requestV1SchemaFor,
} from '../contract/request.js';
import { hashCanonical } from './canonicalJson.js';
import { type DestinationPolicy, refuseDestination } from './destinationPolicy.js';
import { isForbiddenWebhookHost } from './isForbiddenWebhookHost.js';
import { isJsonObject } from './isJsonObject.js';
import { jsonDepth } from './jsonDepth.js';
import {
  isModelOfProvider,
  MODEL_FAMILIES,
  maxOutputTokensOf,
  requestedOutputTokens,
} from './pricing/modelLimits.js';
import type { JsonValue } from './records.js';

interface Rejection {
  readonly code: RejectionCode;
  readonly message: string;
  readonly issues: readonly { readonly path: string; readonly message: string }[];
}

/** A request that passed validation, with what packing needs resolved. */
interface AcceptedRequest {
  readonly request: RequestV1;
  readonly endpoint: ProviderEndpoint;
  readonly model: string;
  readonly destination: Destination;
  /** Hash of the canonical request: the idempotency fingerprint. */
  readonly requestHash: string;
}

type ValidationOutcome =
  | { readonly ok: true; readonly accepted: AcceptedRequest }
  | {
      readonly ok: false;
      readonly rejection: Rejection;
      /** The caller's id when it could be read and is well-formed. */
      readonly customId: string | null;
      /** Where to deliver the `rejected` result, when known. */
      readonly destination: Destination | null;
      /** The caller's metadata, to echo on the `rejected` result, when it is within bounds. */
      readonly metadata: JsonValue | null;
      /** Fingerprint of what was sent, so identical bad resends fold too. */
      readonly requestHash: string;
    };

interface ValidationContext {
  readonly defaultDestination: Destination | null;
  readonly enabledProviders: readonly ProviderName[];
  /**
   * The providers the deployment knows: built in and its own profiles (absent: the built-in
   * ones). An id it does not know is refused (`unknown_provider`).
   */
  readonly registry?: ProviderRegistry;
  readonly now: Date;
  /** Largest accepted body, in bytes of its JSON (the provider's per-batch limit). */
  readonly maxRequestBytes: number;
  /**
   * Accept webhooks to `localhost` and literal loopback, private, link-local, CGNAT and
   * metadata addresses (local development only). Names are checked again at delivery.
   */
  readonly allowPrivateWebhooks: boolean;
  /** What this deployment may deliver to; a destination outside it is refused at intake. */
  readonly destinationPolicy: DestinationPolicy;
  /** The deployment's region: SQS queues and EventBridge buses must be in it. */
  readonly region: string;
}

/** Why a claim check could not be turned into a body; every one is final for the message. */
type ClaimCheckFailureCode = 'claim_check_missing' | 'claim_check_invalid' | 'request_too_large';

/** What reading a message's claim check gave: the body, or why there is none. */
type ClaimCheckResolution =
  | { readonly ok: true; readonly body: unknown }
  | { readonly ok: false; readonly code: ClaimCheckFailureCode; readonly message: string };

/**
 * The largest single body intake reads and holds: one body is parsed whole in a collector's
 * memory, so a provider whose batch files are larger (Bedrock, 1 GB) does not raise it.
 */
const MAX_BODY_BYTES = 256 * 1000 * 1000;

/**
 * The largest body intake accepts, in bytes of its JSON: what the largest provider takes in
 * one batch, or the deployment's own per-batch cap when lower (a body over it could only
 * ever be packed alone into a batch over the cap).
 */
const maxRequestBytesOf = (maxBytesPerBatch: number | null): number =>
  Math.min(
    Math.max(...Object.values(PROVIDER_LIMITS).map((limits) => limits.maxBytes)),
    MAX_BODY_BYTES,
    maxBytesPerBatch ?? Number.POSITIVE_INFINITY,
  );

/** Gemini takes `models/x` or `x` for the same model: grouped and priced as `x`. */
const modelOf = (provider: ProviderName, model: string): string =>
  provider === 'gemini' && model.startsWith('models/') ? model.slice('models/'.length) : model;

const FIELD_CODES: Record<string, RejectionCode> = {
  custom_id: 'invalid_custom_id',
  provider: 'unknown_provider',
  model: 'invalid_model',
  endpoint: 'unsupported_endpoint',
  body: 'invalid_body',
  destination: 'invalid_destination',
  metadata: 'invalid_metadata',
  tier: 'unsupported_tier',
  deadline: 'invalid_deadline',
};

const issuePath = (issue: z.core.$ZodIssue): string =>
  issue.path.length === 0 ? '(root)' : issue.path.map(String).join('.');

/** The rejection code a schema issue stands for (the first issue's names the rejection). */
const codeOf = (issue: z.core.$ZodIssue): RejectionCode => {
  if (issue.code === 'custom') {
    const reason = (issue.params as { reason?: RejectionCode } | undefined)?.reason;
    if (reason !== undefined) return reason;
  }
  if (issue.code === 'unrecognized_keys') return 'unknown_field';
  const field = issue.path[0];
  return (typeof field === 'string' ? FIELD_CODES[field] : undefined) ?? 'invalid_body';
};

/** A webhook this deployment must not call, judged from its URL alone. */
const isRefusedWebhook = (destination: Destination, ctx: ValidationContext): boolean => {
  if (destination.type !== 'webhook' || ctx.allowPrivateWebhooks) return false;
  return isForbiddenWebhookHost(new URL(destination.url).hostname);
};

/** Why metadata is out of bounds, or null when it is within them. */
const metadataProblem = (metadata: unknown): { code: RejectionCode; message: string } | null => {
  if (jsonDepth(metadata, INTAKE_BOUNDS.metadataMaxDepth) > INTAKE_BOUNDS.metadataMaxDepth) {
    return {
      code: 'metadata_too_deep',
      message: `metadata nests more than ${INTAKE_BOUNDS.metadataMaxDepth} levels deep`,
    };
  }
  const bytes = Buffer.byteLength(JSON.stringify(metadata) ?? '');
  if (bytes > INTAKE_BOUNDS.metadataMaxBytes) {
    return {
      code: 'metadata_too_large',
      message: `metadata is ${bytes} bytes of JSON; at most ${INTAKE_BOUNDS.metadataMaxBytes} are accepted`,
    };
  }
  return null;
};

/**
 * Reads as much as can be trusted from an invalid message, to route its rejection. A
 * destination that intake would refuse is not trusted either: a rejected result must never
 * be what carries a request to a forbidden address. Metadata out of bounds is not echoed.
 */
const salvage = (
  json: unknown,
  ctx: ValidationContext,
): { customId: string | null; destination: Destination | null; metadata: JsonValue | null } => {
  const fallback = ctx.defaultDestination;
  if (!isJsonObject(json)) return { customId: null, destination: fallback, metadata: null };
  const rawId = json['custom_id'];
  const customId = typeof rawId === 'string' && CUSTOM_ID_PATTERN.test(rawId) ? rawId : null;
  const parsed = DestinationSchema.safeParse(json['destination']);
  const trusted =
    parsed.success &&
    !isRefusedWebhook(parsed.data, ctx) &&
    refuseDestination(parsed.data, ctx.destinationPolicy, ctx.region) === null;
  const metadata = json['metadata'];
  const echoed = metadata !== undefined && metadataProblem(metadata) === null;
  return {
    customId,
    destination: trusted ? parsed.data : fallback,
    metadata: echoed ? (metadata as JsonValue) : null,
  };
};

/**
 * The claim-check URI of a message that sends its body by claim check (a well-formed
 * `body_s3_uri` and no `body`), or null. The collector reads these before validating;
 * {@link validateRequest} applies the same rule, so the two never disagree.
 */
const claimCheckUriIn = (json: unknown): string | null => {
  if (!isJsonObject(json) || 'body' in json) return null;
  const uri = json['body_s3_uri'];
  return typeof uri === 'string' && CLAIM_CHECK_URI_PATTERN.test(uri) ? uri : null;
};

/** {@link claimCheckUriIn} of a raw message body; null for anything that is not JSON. */
const claimCheckUriOf = (raw: string): string | null => {
  try {
    return claimCheckUriIn(JSON.parse(raw));
  } catch {
    // Not JSON: validateRequest refuses it as malformed_json; there is nothing to read.
    return null;
  }
};

/**
 * The fingerprint of what was sent, so identical bad resends fold too: the parsed message in
 * canonical form, or its raw text when it nests too deep to be walked recursively.
 */
const fingerprintOf = (json: unknown, raw: string): string =>
  json === undefined || jsonDepth(json, INTAKE_BOUNDS.maxDepth + 1) > INTAKE_BOUNDS.maxDepth + 1
    ? hashCanonical(raw)
    : hashCanonical(json);

const clip = (text: string, max: number = INTAKE_BOUNDS.maxIssueChars): string =>
  text.length <= max ? text : `${text.slice(0, max - 1)}…`;

/**
 * A rejection cut to a size fit for an event, a result and a log line: a message can carry
 * thousands of unknown fields or a path of any length, and its rejection must still go out.
 */
const bounded = (rejection: Rejection): Rejection => {
  const { maxIssues } = INTAKE_BOUNDS;
  const issues = rejection.issues
    .slice(0, maxIssues)
    .map((issue) => ({ path: clip(issue.path), message: clip(issue.message) }));
  const more = rejection.issues.length - issues.length;
  const message = clip(rejection.message, INTAKE_BOUNDS.maxMessageChars);
  return {
    code: rejection.code,
    message: more > 0 ? `${message} (and ${more} more issues)` : message,
    issues,
  };
};

const reject = (
  rejection: Rejection,
  json: unknown,
  raw: string,
  ctx: ValidationContext,
): ValidationOutcome => ({
  ok: false,
  rejection: bounded(rejection),
  ...salvage(json, ctx),
  requestHash: fingerprintOf(json, raw),
});

const single = (code: RejectionCode, path: string, message: string): Rejection => ({
  code,
  message,
  issues: [{ path, message }],
});

/**
 * Checks that a message names exactly one body source and, for a claim check, puts the body
 * read from it in place of `body_s3_uri`. Returns the message to validate, or its rejection.
 */
const resolveBody = (
  json: Record<string, unknown>,
  raw: string,
  ctx: ValidationContext,
  claimCheck: ClaimCheckResolution | undefined,
): { readonly json: Record<string, unknown> } | { readonly outcome: ValidationOutcome } => {
  const hasBody = 'body' in json;
  const hasUri = 'body_s3_uri' in json;
  if (hasBody && hasUri) {
    const message = 'send exactly one of body and body_s3_uri, not both';
    return { outcome: reject(single('ambiguous_body', '(root)', message), json, raw, ctx) };
  }
  if (!hasBody && !hasUri) {
    const message = 'body is required (or body_s3_uri, for a body stored in S3)';
    return { outcome: reject(single('missing_body', 'body', message), json, raw, ctx) };
  }
  if (hasBody) return { json };
  if (claimCheckUriIn(json) === null) {
    const message = 'body_s3_uri must be a string of the form s3://bucket/key';
    return {
      outcome: reject(single('claim_check_invalid', 'body_s3_uri', message), json, raw, ctx),
    };
  }
  if (claimCheck === undefined) {
    // A caller bug, not a property of the message: refusing it for good would lose it.
    throw new TypeError('validateRequest: a claim-check message needs its claim check read first');
  }
  if (!claimCheck.ok) {
    return {
      outcome: reject(single(claimCheck.code, 'body_s3_uri', claimCheck.message), json, raw, ctx),
    };
  }
  const { body_s3_uri: _uri, ...rest } = json;
  return { json: { ...rest, body: claimCheck.body } };
};

/**
 * Refuses a message any of whose fields nests deeper, or whose metadata is larger, than intake
 * accepts, before anything recursive (the schema, hashing, serialising) walks it.
 */
const shapeProblem = (json: Record<string, unknown>): Rejection | null => {
  const { maxDepth } = INTAKE_BOUNDS;
  for (const [field, value] of Object.entries(json)) {
    if (field === 'metadata') {
      const problem = metadataProblem(value);
      if (problem !== null) return single(problem.code, 'metadata', problem.message);
      continue;
    }
    if (jsonDepth(value, maxDepth) > maxDepth) {
      const code = field === 'body' ? 'body_too_deep' : (FIELD_CODES[field] ?? 'unknown_field');
      return single(code, clip(field), `${clip(field)} nests more than ${maxDepth} levels deep`);
    }
  }
  return null;
};

/**
 * What the provider would refuse about the model at create time that batchlane can know: a
 * name no model of the provider can have, or more output tokens than a known model produces.
 */
const modelProblem = (request: RequestV1, endpoint: string): Rejection | null => {
  // Bedrock names the model beside its native body (checked by the contract's own pattern).
  if (request.provider === 'bedrock') return null;
  const model = request.body['model'];
  if (typeof model !== 'string' || !INTAKE_BOUNDS.modelPattern.test(model)) {
    const length = typeof model === 'string' ? model.length : 0;
    return single(
      'invalid_model',
      'body.model',
      `body.model must be 1 to 256 letters, digits and . _ : / @ - starting with a letter or digit (got ${length} characters)`,
    );
  }
  const { provider } = request;
  if (!isModelOfProvider(provider, model)) {
    const families = (MODEL_FAMILIES[provider] ?? []).join(', ');
    return single(
      'unknown_model',
      'body.model',
      `${provider} has no model ${model}: its model ids begin with one of ${families}`,
    );
  }
  const cap = maxOutputTokensOf(provider, model);
  const asked = requestedOutputTokens(endpoint, request.body);
  if (cap !== null && asked !== null && asked.value > cap) {
    return single(
      'max_tokens_too_large',
      `body.${asked.field}`,
      `body.${asked.field} is ${asked.value}, but ${model} produces at most ${cap} output tokens`,
    );
  }
  return null;
};

/**
 * Validates one intake message body against contract v1 and the deployment's settings. A
 * message that sends its body by claim check ({@link claimCheckUriOf} is not null) must come
 * with what reading it gave; the body read is then validated, and fingerprinted, exactly as
 * an inline one would be. Never throws for anything in the message: every problem becomes a
 * specific rejection.
 */
const validateRequest = (
  raw: string,
  ctx: ValidationContext,
  claimCheck?: ClaimCheckResolution,
): ValidationOutcome => {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return reject(
      single('malformed_json', '(root)', `message body is not valid JSON: ${detail}`),
      undefined,
      raw,
      ctx,
    );
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    return reject(
      single('not_an_object', '(root)', 'message body must be a JSON object'),
      json,
      raw,
      ctx,
    );
  }

  const resolved = resolveBody(json as Record<string, unknown>, raw, ctx, claimCheck);
  if ('outcome' in resolved) return resolved.outcome;
  json = resolved.json;
  const shape = shapeProblem(resolved.json);
  if (shape !== null) return reject(shape, json, raw, ctx);

  const registry = ctx.registry ?? BUILT_IN_REGISTRY;
  const parsed = requestV1SchemaFor(registry).safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => ({
      path: issuePath(issue),
      message: issue.message,
    }));
    const first = parsed.error.issues[0];
    const code = first === undefined ? 'invalid_body' : codeOf(first);
    const message = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
    return reject({ code, message, issues }, json, raw, ctx);
  }

  const request = parsed.data;
  if (!ctx.enabledProviders.includes(request.provider)) {
    return reject(
      single(
        'provider_not_enabled',
        'provider',
        `provider ${request.provider} is not enabled in this deployment`,
      ),
      json,
      raw,
      ctx,
    );
  }
  const endpoint = (request.endpoint ??
    registry.defaultEndpointOf(request.provider)) as ProviderEndpoint;
  const model = modelProblem(request, endpoint);
  if (model !== null) return reject(model, json, raw, ctx);
  if (request.destination !== undefined && isRefusedWebhook(request.destination, ctx)) {
    return reject(
      single(
        'invalid_destination',
        'destination.url',
        'webhook URL must not point at localhost or a loopback, private, link-local, CGNAT or metadata address',
      ),
      json,
      raw,
      ctx,
    );
  }
  const destination = request.destination ?? ctx.defaultDestination;
  if (destination === null) {
    return reject(
      single(
        'missing_destination',
        'destination',
        'destination is required: this deployment has no default destination',
      ),
      json,
      raw,
      ctx,
    );
  }
  // Before anything is paid for: a result could never be delivered there.
  const refusal = refuseDestination(destination, ctx.destinationPolicy, ctx.region);
  if (refusal !== null) {
    return reject(single(refusal.code, refusal.path, refusal.message), json, raw, ctx);
  }
  if (request.deadline !== undefined && Date.parse(request.deadline) <= ctx.now.getTime()) {
    return reject(
      single('deadline_passed', 'deadline', `deadline ${request.deadline} has already passed`),
      json,
      raw,
      ctx,
    );
  }
  const bodyBytes = Buffer.byteLength(JSON.stringify(request.body));
  const maxBytes = Math.min(ctx.maxRequestBytes, registry.limitsOf(request.provider).maxBytes);
  if (bodyBytes > maxBytes) {
    return reject(
      single(
        'request_too_large',
        'body',
        `body is ${bodyBytes} bytes; the provider accepts at most ${maxBytes} per batch`,
      ),
      json,
      raw,
      ctx,
    );
  }

  return {
    ok: true,
    accepted: {
      request,
      endpoint,
      // Bedrock names it beside the body; the others in it (and `model`, if given, agrees).
      model: request.model ?? modelOf(request.provider, String(request.body['model'])),
      destination,
      // The defaults-applied request is hashed, so `{tier:"batch"}` and no tier are the same.
      requestHash: hashCanonical({ ...request, endpoint, destination }),
    },
  };
};

/**
 * The outcome for a message whose judging threw where nothing should: refused for good
 * (judging is deterministic, so a retry would throw again and end in the dead-letter queue),
 * with no more read from it than can be read without throwing.
 */
const unprocessable = (raw: string, ctx: ValidationContext, detail: string): ValidationOutcome => {
  const rejection = single(
    'unprocessable_message',
    '(root)',
    `the message could not be judged (${clip(detail)}); it is refused rather than retried`,
  );
  let readable: ReturnType<typeof salvage> = {
    customId: null,
    destination: ctx.defaultDestination,
    metadata: null,
  };
  try {
    const json: unknown = JSON.parse(raw);
    if (jsonDepth(json, INTAKE_BOUNDS.maxDepth + 1) <= INTAKE_BOUNDS.maxDepth + 1) {
      readable = salvage(json, ctx);
    }
  } catch {
    // Nothing more can be read: the refusal goes out as an event only.
  }
  return { ok: false, rejection, ...readable, requestHash: hashCanonical(raw) };
};

export {
  type AcceptedRequest,
  type ClaimCheckFailureCode,
  type ClaimCheckResolution,
  claimCheckUriOf,
  codeOf,
  issuePath,
  maxRequestBytesOf,
  REJECTION_CODES,
  type Rejection,
  type RejectionCode,
  unprocessable,
  type ValidationContext,
  type ValidationOutcome,
  validateRequest,
};
