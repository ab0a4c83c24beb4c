import type { Destination, DestinationType } from '../../contract/destination.js';
import type { ResultV1 } from '../../contract/result.js';
import { deliveryFailureOf } from '../../domain/deliveryFailure.js';
import { type DestinationPolicy, refuseDestination } from '../../domain/destinationPolicy.js';
import { ConfigError, InvalidInputError } from '../../domain/errors.js';
import type {
  DeliveryContext,
  DeliveryReport,
  ResultDeliverer,
} from '../../ports/ResultDeliverer.js';

/** The deliverer of each destination type, and what the deployment may reach. */
interface DestinationRouterOptions {
  readonly sqs: ResultDeliverer;
  readonly s3: ResultDeliverer;
  readonly eventbridge: ResultDeliverer;
  /** Null when webhooks are disabled (no signing secret configured). */
  readonly webhook: ResultDeliverer | null;
  /** The deployment's allow-list (`BATCHLANE_DESTINATION_ALLOW_LIST`). */
  readonly policy: DestinationPolicy;
  /** The deployment's region: SQS queues and EventBridge buses must be in it. */
  readonly region: string;
}

/** Error code of a destination the allow-list does not name. */
const FORBIDDEN_DESTINATION_CODE = 'destination_forbidden';

/**
 * The {@link ResultDeliverer} the completion function uses: checks the destination against
 * the deployment's allow-list, then hands the results to the deliverer of its type.
 * A forbidden or disabled destination fails every result with a non-retryable error.
 */
class DestinationRouter implements ResultDeliverer {
  readonly #deliverers: Readonly<Record<DestinationType, ResultDeliverer | null>>;
  readonly #policy: DestinationPolicy;
  readonly #region: string;

  constructor(options: DestinationRouterOptions) {
    this.#deliverers = {
      sqs: options.sqs,
      s3: options.s3,
      eventbridge: options.eventbridge,
      webhook: options.webhook,
    };
    this.#policy = options.policy;
    this.#region = options.region;
  }

  /** Whether the allow-list lets results go to this destination. */
  isAllowed(destination: Destination): boolean {
    return refuseDestination(destination, this.#policy, this.#region) === null;
  }

  async deliver(
    destination: Destination,
    results: readonly ResultV1[],
    context: DeliveryContext,
  ): Promise<DeliveryReport> {
    // Checked again here: the allow-list may have changed since intake (replays, parked
    // results, a redeploy while a batch ran).
    const refusal = refuseDestination(destination, this.#policy, this.#region);
    if (refusal !== null) {
      const error = new InvalidInputError(refusal.message, {
        code: FORBIDDEN_DESTINATION_CODE,
        details: { type: destination.type, reason: refusal.code },
      });
      return { failed: results.map((r) => deliveryFailureOf(r, error)) };
    }
    const deliverer = this.#deliverers[destination.type];
    if (deliverer === null) {
      const error = new ConfigError(`${destination.type} destinations are disabled`, {
        code: 'destination_disabled',
        details: { type: destination.type },
      });
      return { failed: results.map((r) => deliveryFailureOf(r, error)) };
    }
    return deliverer.deliver(destination, results, context);
  }
}

export { DestinationRouter, type DestinationRouterOptions, FORBIDDEN_DESTINATION_CODE };
