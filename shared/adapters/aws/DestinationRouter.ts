import type { Destination, DestinationType } from '../../contract/destination.js';
import type { ResultV1 } from '../../contract/result.js';
import { ConfigError, InvalidInputError } from '../../domain/errors.js';
import type {
  DeliveryContext,
  DeliveryReport,
  ResultDeliverer,
} from '../../ports/ResultDeliverer.js';

/** The deliverer of each destination type, and the allow-list. */
interface DestinationRouterOptions {
  readonly sqs: ResultDeliverer;
  readonly s3: ResultDeliverer;
  readonly eventbridge: ResultDeliverer;
  /** Null when webhooks are disabled (no signing secret configured). */
  readonly webhook: ResultDeliverer | null;
  /**
   * The deployment's `destinationAllowList`: `sqs:<queue URL or ARN prefix>`, `s3:<bucket>[/<key prefix>]`, `eventbridge:<bus name or
   * ARN>`, `webhook:<URL prefix>`. Empty: every destination is allowed.
   */
  readonly allowList: readonly string[];
}

const DESTINATION_TYPES: readonly DestinationType[] = ['sqs', 's3', 'eventbridge', 'webhook'];

/** Error code of a destination the allow-list does not name. */
const FORBIDDEN_DESTINATION_CODE = 'destination_forbidden';

/** arn:<partition>:sqs:<region>:<account>:<name> of an SQS queue URL, when it has one. */
const queueArnOf = (queueUrl: string): string | null => {
  const url = URL.canParse(queueUrl) ? new URL(queueUrl) : null;
  if (url === null) return null;
  const [, account, name, ...rest] = url.pathname.split('/');
  const labels = url.hostname.split('.');
  const region = labels[0] === 'sqs' ? labels[1] : labels[1] === 'queue' ? labels[0] : undefined;
  if (account === undefined || name === undefined || rest.length > 0 || region === undefined) {
    return null;
  }
  const partition = url.hostname.endsWith('.amazonaws.com.cn') ? 'aws-cn' : 'aws';
  return `arn:${partition}:sqs:${region}:${account}:${name}`;
};

/** Same origin, and the path starts with the allowed path: `https://a.com` ≠ `https://a.com.evil`. */
const urlHasPrefix = (candidate: string, prefix: string): boolean => {
  if (!URL.canParse(candidate) || !URL.canParse(prefix)) return false;
  const url = new URL(candidate);
  const allowed = new URL(prefix);
  return (
    url.origin === allowed.origin &&
    `${url.pathname}${url.search}`.startsWith(`${allowed.pathname}${allowed.search}`)
  );
};

const matches = (destination: Destination, type: string, value: string): boolean => {
  switch (destination.type) {
    case 'sqs': {
      if (type !== 'sqs') return false;
      if (value.startsWith('arn:'))
        return queueArnOf(destination.queue_url)?.startsWith(value) ?? false;
      return urlHasPrefix(destination.queue_url, value);
    }
    case 's3': {
      if (type !== 's3') return false;
      const slash = value.indexOf('/');
      if (slash < 0) return destination.bucket === value;
      return (
        destination.bucket === value.slice(0, slash) &&
        destination.prefix.startsWith(value.slice(slash + 1))
      );
    }
    case 'eventbridge':
      return type === 'eventbridge' && destination.event_bus_name === value;
    case 'webhook':
      return type === 'webhook' && urlHasPrefix(destination.url, value);
  }
};

/**
 * The {@link ResultDeliverer} the completion function uses: checks the destination against
 * the deployment's allow-list, then hands the results to the deliverer of its type.
 * A forbidden or disabled destination fails every result with a non-retryable error.
 */
class DestinationRouter implements ResultDeliverer {
  readonly #deliverers: Readonly<Record<DestinationType, ResultDeliverer | null>>;
  readonly #allowList: readonly (readonly [string, string])[];

  constructor(options: DestinationRouterOptions) {
    this.#deliverers = {
      sqs: options.sqs,
      s3: options.s3,
      eventbridge: options.eventbridge,
      webhook: options.webhook,
    };
    this.#allowList = options.allowList.map((entry) => {
      const colon = entry.indexOf(':');
      const type = entry.slice(0, colon);
      const value = entry.slice(colon + 1);
      if (colon < 0 || !(DESTINATION_TYPES as readonly string[]).includes(type) || value === '') {
        throw new ConfigError(
          `destination allow-list entry "${entry}" must look like <sqs|s3|eventbridge|webhook>:<value>`,
          { code: 'invalid_config', details: { entry } },
        );
      }
      return [type, value] as const;
    });
  }

  /** Whether the allow-list lets results go to this destination. */
  isAllowed(destination: Destination): boolean {
    return (
      this.#allowList.length === 0 ||
      this.#allowList.some(([type, value]) => matches(destination, type, value))
    );
  }

  async deliver(
    destination: Destination,
    results: readonly ResultV1[],
    context: DeliveryContext,
  ): Promise<DeliveryReport> {
    if (!this.isAllowed(destination)) {
      const error = new InvalidInputError(
        `destination ${destination.type} is not in this deployment's allow-list`,
        { code: FORBIDDEN_DESTINATION_CODE, details: { type: destination.type } },
      );
      return { failed: results.map((r) => ({ customId: r.custom_id, error })) };
    }
    const deliverer = this.#deliverers[destination.type];
    if (deliverer === null) {
      const error = new ConfigError(`${destination.type} destinations are disabled`, {
        code: 'destination_disabled',
        details: { type: destination.type },
      });
      return { failed: results.map((r) => ({ customId: r.custom_id, error })) };
    }
    return deliverer.deliver(destination, results, context);
  }
}

export { DestinationRouter, type DestinationRouterOptions, FORBIDDEN_DESTINATION_CODE };
