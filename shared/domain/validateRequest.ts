import type { z } from 'zod';
import type { Destination } from '../contract/destination.js';
import { DestinationSchema } from '../contract/destination.js';
import {
  DEFAULT_ENDPOINT,
  type ProviderEndpoint,
  type ProviderName,
} from '../contract/providers.js';
import { CUSTOM_ID_PATTERN, type RequestV1, RequestV1Schema } from '../contract/request.js';
import { hashCanonical } from './canonicalJson.js';

/**
 * Why a request was refused at intake. Each code is documented in the README
 * ("Rejection reasons"); the message says what to change.
 */
const REJECTION_CODES = [
  'malformed_json',
  'not_an_object',
  'invalid_custom_id',
  'unknown_provider',
  'provider_not_enabled',
  'unsupported_endpoint',
  'invalid_body',
  'stream_not_supported',
  'invalid_destination',
  'missing_destination',
  'invalid_metadata',
  'unsupported_tier',
  'invalid_deadline',
  'deadline_passed',
  'unknown_field',
  'request_too_large',
  'conflicting_resend',
] as const;
type RejectionCode = (typeof REJECTION_CODES)[number];

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
      /** Fingerprint of what was sent, so identical bad resends fold too. */
      readonly requestHash: string;
    };

interface ValidationContext {
  readonly defaultDestination: Destination | null;
  readonly enabledProviders: readonly ProviderName[];
  readonly now: Date;
  /** Largest accepted body, in bytes of its JSON (the provider's per-batch limit). */
  readonly maxRequestBytes: number;
}

const FIELD_CODES: Record<string, RejectionCode> = {
  custom_id: 'invalid_custom_id',
  provider: 'unknown_provider',
  endpoint: 'unsupported_endpoint',
  body: 'invalid_body',
  destination: 'invalid_destination',
  metadata: 'invalid_metadata',
  tier: 'unsupported_tier',
  deadline: 'invalid_deadline',
};

const issuePath = (issue: z.core.$ZodIssue): string =>
  issue.path.length === 0 ? '(root)' : issue.path.map(String).join('.');

const codeOf = (issue: z.core.$ZodIssue): RejectionCode => {
  if (issue.code === 'custom') {
    const reason = (issue.params as { reason?: RejectionCode } | undefined)?.reason;
    if (reason !== undefined) return reason;
  }
  if (issue.code === 'unrecognized_keys') return 'unknown_field';
  const field = issue.path[0];
  return (typeof field === 'string' ? FIELD_CODES[field] : undefined) ?? 'invalid_body';
};

/** Reads as much as can be trusted from an invalid message, to route its rejection. */
const salvage = (
  json: unknown,
  fallback: Destination | null,
): { customId: string | null; destination: Destination | null } => {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    return { customId: null, destination: fallback };
  }
  const record = json as Record<string, unknown>;
  const rawId = record['custom_id'];
  const customId = typeof rawId === 'string' && CUSTOM_ID_PATTERN.test(rawId) ? rawId : null;
  const parsed = DestinationSchema.safeParse(record['destination']);
  return { customId, destination: parsed.success ? parsed.data : fallback };
};

const reject = (
  rejection: Rejection,
  json: unknown,
  raw: string,
  ctx: ValidationContext,
): ValidationOutcome => ({
  ok: false,
  rejection,
  ...salvage(json, ctx.defaultDestination),
  requestHash: json === undefined ? hashCanonical(raw) : hashCanonical(json),
});

const single = (code: RejectionCode, path: string, message: string): Rejection => ({
  code,
  message,
  issues: [{ path, message }],
});

/**
 * Validates one intake message body against contract v1 and the deployment's settings.
 * Never throws: every problem becomes a specific rejection.
 */
const validateRequest = (raw: string, ctx: ValidationContext): ValidationOutcome => {
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

  const parsed = RequestV1Schema.safeParse(json);
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
  if (request.deadline !== undefined && Date.parse(request.deadline) <= ctx.now.getTime()) {
    return reject(
      single('deadline_passed', 'deadline', `deadline ${request.deadline} has already passed`),
      json,
      raw,
      ctx,
    );
  }
  const bodyBytes = Buffer.byteLength(JSON.stringify(request.body));
  if (bodyBytes > ctx.maxRequestBytes) {
    return reject(
      single(
        'request_too_large',
        'body',
        `body is ${bodyBytes} bytes; the provider accepts at most ${ctx.maxRequestBytes} per batch`,
      ),
      json,
      raw,
      ctx,
    );
  }

  const endpoint = (request.endpoint ?? DEFAULT_ENDPOINT[request.provider]) as ProviderEndpoint;
  return {
    ok: true,
    accepted: {
      request,
      endpoint,
      model: String(request.body['model']),
      destination,
      // The defaults-applied request is hashed, so `{tier:"batch"}` and no tier are the same.
      requestHash: hashCanonical({ ...request, endpoint, destination }),
    },
  };
};

export {
  type AcceptedRequest,
  REJECTION_CODES,
  type Rejection,
  type RejectionCode,
  type ValidationContext,
  type ValidationOutcome,
  validateRequest,
};
