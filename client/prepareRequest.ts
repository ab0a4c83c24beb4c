import { createHash } from 'node:crypto';
import type { Destination } from '../shared/contract/destination.js';
import {
  PROFILE_ENDPOINTS,
  type ProviderProfile,
  ProviderProfileSchema,
} from '../shared/contract/providerProfile.js';
import { type ProviderRegistry, providerRegistry } from '../shared/contract/providerRegistry.js';
import {
  isBuiltInProvider,
  PROVIDER_ID_PATTERN,
  type ProviderName,
} from '../shared/contract/providers.js';
import { INTAKE_BOUNDS, type RejectionCode } from '../shared/contract/rejections.js';
import { RequestV1BaseSchema, type RequestV1Input } from '../shared/contract/request.js';
import {
  CLAIMS_ROOT,
  claimCheckKeyOf,
  claimCheckPrefix,
} from '../shared/domain/claimCheckLocation.js';
import {
  AllowListSyntaxError,
  type DestinationPolicy,
  parseDestinationPolicy,
  parseQueueUrl,
} from '../shared/domain/destinationPolicy.js';
import {
  codeOf,
  issuePath,
  maxRequestBytesOf,
  type ValidationContext,
  validateRequest,
} from '../shared/domain/validateRequest.js';
import { sqsSafeJson } from './packMessages.js';

/**
 * What the client knows of the deployment it sends to. What it does not know is not checked
 * here (the collector still judges every message): the client refuses only what the
 * deployment is certain to refuse.
 */
interface DeploymentFacts {
  /** The deployment's region; null: destinations' regions are not checked. */
  readonly region: string | null;
  /** The providers it has enabled (stack output `EnabledProviders`); null: any. */
  readonly enabledProviders: readonly ProviderName[] | null;
  /** Its destination allow-list (stack output `DestinationAllowList`); null: not checked. */
  readonly destinationAllowList: string | null;
  /** Whether it has a default destination; null: unknown, a request may leave it out. */
  readonly hasDefaultDestination: boolean | null;
  /** Whether it accepts webhooks to private addresses (the local stack does). */
  readonly allowPrivateWebhooks: boolean;
  /** Its artifacts bucket, where claim checks go; null: a body too large is refused. */
  readonly claimCheckBucket: string | null;
  /** The key prefix claim checks go under: `claims/` or below it. */
  readonly claimCheckPrefix: string;
  /**
   * The producer the deployment sees this client as (a namespace, or the sending role's
   * principal id); null: unknown, so a claim check named by a request is only checked to be
   * under `claims/`.
   */
  readonly producer: string | null;
  /** The intake queue's largest message, in bytes. */
  readonly maxMessageBytes: number;
}

/** Why the client did not send a request: the code the collector would refuse it with. */
interface ClientRejection {
  readonly code: RejectionCode;
  readonly message: string;
  readonly issues: readonly { readonly path: string; readonly message: string }[];
}

/** A request ready to send, or the reason it will not be. */
type PreparedRequest =
  | {
      readonly ok: true;
      readonly customId: string;
      /** The idempotency fingerprint the collector will compute (body resolved). */
      readonly requestHash: string;
      /** The SQS message body. */
      readonly message: string;
      /** For a body too large for a message: the object to upload before sending. */
      readonly claimCheck: {
        readonly bucket: string;
        readonly key: string;
        readonly body: string;
      } | null;
    }
  | {
      readonly ok: false;
      readonly customId: string | null;
      readonly rejection: ClientRejection;
    };

/** Stands for the deployment's default destination when the client does not know it. */
const UNKNOWN_DEFAULT: Destination = { type: 's3', bucket: 'deployment-default', prefix: '' };

const single = (code: RejectionCode, path: string, message: string): ClientRejection => ({
  code,
  message,
  issues: [{ path, message }],
});

const customIdOf = (request: unknown): string | null => {
  const id = (request as { custom_id?: unknown } | null)?.custom_id;
  return typeof id === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(id) ? id : null;
};

/** The region a destination names for itself, used when the deployment's is not known. */
const regionNamedBy = (destination: unknown): string => {
  const d = destination as { queue_url?: unknown; event_bus_name?: unknown } | null;
  if (typeof d?.queue_url === 'string') return parseQueueUrl(d.queue_url)?.region ?? '';
  if (typeof d?.event_bus_name === 'string') {
    return /^arn:[a-z-]+:events:([a-z0-9-]+):/.exec(d.event_bus_name)?.[1] ?? '';
  }
  return '';
};

const policyOf = (allowList: string | null): DestinationPolicy => {
  if (allowList === null) return { kind: 'all' };
  try {
    return parseDestinationPolicy(allowList);
  } catch (error) {
    if (error instanceof AllowListSyntaxError) return { kind: 'all' };
    throw error;
  }
};

/**
 * A profile of the deployment's own, which the client knows by its id alone: every endpoint
 * and tier a profile may take, no limit of its own, so the client refuses nothing about it
 * that the deployment's real profile might accept.
 */
const profileKnownById = (id: string): ProviderProfile =>
  ProviderProfileSchema.parse({
    id,
    baseUrl: `https://${id}.invalid/v1`,
    key: { secretName: id, envVar: 'UNKNOWN' },
    endpoints: PROFILE_ENDPOINTS,
    limits: {
      maxRequests: Number.MAX_SAFE_INTEGER,
      maxBytes: Number.MAX_SAFE_INTEGER,
      maxEnqueuedTokens: null,
    },
    window: { request: '24h', accepted: ['24h'], runsPastHours: null },
    batchDiscount: 1,
  });

/**
 * The providers as far as the client knows them: the built-in ones and, as profiles known by
 * id, the deployment's other enabled providers and the one a request names (whether the
 * deployment defines it, the client cannot know: it is refused only when not enabled).
 */
const registryFor = (request: unknown, facts: DeploymentFacts): ProviderRegistry => {
  const named = (request as { provider?: unknown } | null)?.provider;
  const ids = [
    ...(facts.enabledProviders ?? []),
    ...(typeof named === 'string' && PROVIDER_ID_PATTERN.test(named) ? [named] : []),
  ];
  const own = ids.filter((id) => !isBuiltInProvider(id));
  return providerRegistry(Object.fromEntries(own.map((id) => [id, profileKnownById(id)])));
};

/** The collector's validation context, from what the client knows. */
const contextFor = (request: unknown, facts: DeploymentFacts, now: Date): ValidationContext => {
  const destination = (request as { destination?: unknown } | null)?.destination;
  const defaultUnknown = destination === undefined && facts.hasDefaultDestination !== false;
  const registry = registryFor(request, facts);
  return {
    defaultDestination: defaultUnknown ? UNKNOWN_DEFAULT : null,
    enabledProviders: facts.enabledProviders ?? registry.ids,
    registry,
    now,
    maxRequestBytes: maxRequestBytesOf(null),
    allowPrivateWebhooks: facts.allowPrivateWebhooks,
    destinationPolicy: defaultUnknown ? { kind: 'all' } : policyOf(facts.destinationAllowList),
    region: facts.region ?? regionNamedBy(destination),
  };
};

/**
 * A request that names its own claim check: its location is checked (the collector reads
 * a producer's claim checks from the deployment's bucket under `claims/<producer>/` only) and its fields against the
 * contract; its body, which the client does not hold, is the collector's to judge.
 */
const prepareClaimChecked = (
  request: Record<string, unknown>,
  raw: string,
  facts: DeploymentFacts,
): PreparedRequest => {
  const customId = customIdOf(request);
  const parsed = RequestV1BaseSchema.safeParse(request);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, INTAKE_BOUNDS.maxIssues)
      .map((issue) => ({ path: issuePath(issue), message: issue.message }));
    const first = parsed.error.issues[0];
    return {
      ok: false,
      customId,
      rejection: {
        code: first === undefined ? 'invalid_body' : codeOf(first),
        message: issues.map((i) => `${i.path}: ${i.message}`).join('; '),
        issues,
      },
    };
  }
  const uri = String(request['body_s3_uri']);
  if (
    facts.claimCheckBucket !== null &&
    claimCheckKeyOf(uri, facts.claimCheckBucket, facts.producer) === null
  ) {
    return {
      ok: false,
      customId,
      rejection: single(
        'claim_check_missing',
        'body_s3_uri',
        `body_s3_uri must name an object under s3://${facts.claimCheckBucket}/${claimCheckPrefix(facts.producer) ?? CLAIMS_ROOT}`,
      ),
    };
  }
  return {
    ok: true,
    customId: customId ?? '',
    requestHash: createHash('sha256').update(raw).digest('hex'),
    message: sqsSafeJson(raw),
    claimCheck: null,
  };
};

/**
 * Judges a request as the collector would, as far as the client knows the deployment, and
 * makes its SQS message: the request itself, or, when that is larger than the queue takes,
 * the request with its body replaced by a claim check (`body_s3_uri`) to upload first. The
 * claim-check key is the body's SHA-256, so sending the same body again writes the same
 * object and the collector folds the resend.
 */
const prepareRequest = (
  request: RequestV1Input | unknown,
  facts: DeploymentFacts,
  now: Date = new Date(),
): PreparedRequest => {
  let raw: string | undefined;
  try {
    raw = JSON.stringify(request);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      customId: null,
      rejection: single('malformed_json', '(root)', `the request is not JSON: ${detail}`),
    };
  }
  if (raw === undefined) {
    return {
      ok: false,
      customId: null,
      rejection: single('not_an_object', '(root)', 'the request must be a JSON object'),
    };
  }
  const json = request as Record<string, unknown>;
  // What JSON.stringify left out (an `undefined` body) is not in the message either.
  if (
    typeof request === 'object' &&
    request !== null &&
    json['body'] === undefined &&
    json['body_s3_uri'] !== undefined
  ) {
    return prepareClaimChecked(json, raw, facts);
  }
  const outcome = validateRequest(raw, contextFor(request, facts, now));
  if (!outcome.ok) {
    return { ok: false, customId: outcome.customId, rejection: outcome.rejection };
  }
  const customId = outcome.accepted.request.custom_id;
  const inline = sqsSafeJson(raw);
  if (Buffer.byteLength(inline) <= facts.maxMessageBytes) {
    return {
      ok: true,
      customId,
      requestHash: outcome.accepted.requestHash,
      message: inline,
      claimCheck: null,
    };
  }
  return claimCheckFor(json, customId, outcome.accepted.requestHash, facts);
};

const claimCheckFor = (
  request: Record<string, unknown>,
  customId: string,
  requestHash: string,
  facts: DeploymentFacts,
): PreparedRequest => {
  const tooLarge = (message: string): PreparedRequest => ({
    ok: false,
    customId,
    rejection: single('request_too_large', 'body', message),
  });
  if (facts.claimCheckBucket === null) {
    return tooLarge(
      `the request is larger than an SQS message (${facts.maxMessageBytes} bytes) and the client has no claimCheckBucket to put its body in`,
    );
  }
  const { body, ...rest } = request;
  const bodyJson = JSON.stringify(body);
  const key = `${facts.claimCheckPrefix}${createHash('sha256').update(bodyJson).digest('hex')}.json`;
  const uri = `s3://${facts.claimCheckBucket}/${key}`;
  const message = sqsSafeJson(JSON.stringify({ ...rest, body_s3_uri: uri }));
  if (Buffer.byteLength(message) > facts.maxMessageBytes) {
    return tooLarge(
      `even with its body in a claim check the request is larger than an SQS message (${facts.maxMessageBytes} bytes)`,
    );
  }
  return {
    ok: true,
    customId,
    requestHash,
    message,
    claimCheck: { bucket: facts.claimCheckBucket, key, body: bodyJson },
  };
};

/**
 * The key prefix claim checks go under: `claims/` or a folder below it (for example
 * `claims/<team>/`), which the collector reads and a producer's role may be granted alone.
 */
const normalizeClaimCheckPrefix = (prefix: string | undefined): string => {
  const value = prefix ?? CLAIMS_ROOT;
  const withSlash = value.endsWith('/') ? value : `${value}/`;
  const segments = withSlash.slice(0, -1).split('/');
  if (
    !withSlash.startsWith(CLAIMS_ROOT) ||
    segments.some((s) => s === '' || s === '.' || s === '..')
  ) {
    throw new RangeError(
      `claimCheckPrefix must be ${CLAIMS_ROOT} or a folder below it, got ${value}`,
    );
  }
  return withSlash;
};

export {
  type ClientRejection,
  type DeploymentFacts,
  normalizeClaimCheckPrefix,
  type PreparedRequest,
  prepareRequest,
};
