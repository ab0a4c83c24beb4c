import { type Destination, destinationKey } from '../../../shared/contract/destination.js';
import type { ResultV1 } from '../../../shared/contract/result.js';
import { deliveryFailureOf, resultIdentityOf } from '../../../shared/domain/deliveryFailure.js';
import type { BatchlaneError } from '../../../shared/domain/errors.js';
import type {
  DeliveryContext,
  DeliveryReport,
  ResultDeliverer,
} from '../../../shared/ports/ResultDeliverer.js';

/** One `deliver` call that got through, as the destination saw it. */
interface Delivery {
  readonly destination: Destination;
  readonly context: DeliveryContext;
  readonly results: readonly ResultV1[];
}

/**
 * {@link ResultDeliverer} in memory, for every destination type at once (as the destination
 * router is): results arrive at their destination as JSON would carry them, and a delivery
 * again arrives again, as SQS, EventBridge and webhooks repeat it (consumers drop repeats by
 * `custom_id`). Failures are reported per result, never thrown: a destination made
 * unreachable (`failDestination`) fails every result sent to it, `failResults` fails chosen
 * ones (of every producer, or of one); the rest still arrive. A failure names the result's
 * producer as the adapters do.
 */
class InMemoryResultDeliverer implements ResultDeliverer {
  readonly #deliveries: Delivery[] = [];
  readonly #failedDestinations = new Map<string, BatchlaneError>();
  readonly #failedResults = new Map<string, BatchlaneError>();
  /** Failures of one producer's results, by `resultIdentityOf`. */
  readonly #failedOfProducer = new Map<string, BatchlaneError>();

  async deliver(
    destination: Destination,
    results: readonly ResultV1[],
    context: DeliveryContext,
  ): Promise<DeliveryReport> {
    const unreachable = this.#failedDestinations.get(destinationKey(destination));
    if (unreachable !== undefined) {
      return { failed: results.map((r) => deliveryFailureOf(r, unreachable)) };
    }
    const failed: DeliveryReport['failed'][number][] = [];
    const arrived: ResultV1[] = [];
    for (const result of results) {
      const error =
        this.#failedOfProducer.get(resultIdentityOf(result)) ??
        this.#failedResults.get(result.custom_id);
      if (error === undefined) arrived.push(JSON.parse(JSON.stringify(result)) as ResultV1);
      else failed.push(deliveryFailureOf(result, error));
    }
    if (arrived.length > 0) this.#deliveries.push({ destination, context, results: arrived });
    return { failed };
  }

  /** Every result that arrived at `destination`, in arrival order, repeats included. */
  receivedAt(destination: Destination): ResultV1[] {
    const key = destinationKey(destination);
    return this.#deliveries
      .filter((d) => destinationKey(d.destination) === key)
      .flatMap((d) => d.results);
  }

  /** Every delivery that got through, wherever it went. */
  deliveries(): readonly Delivery[] {
    return [...this.#deliveries];
  }

  /** Every result delivered anywhere, repeats included. */
  allResults(): ResultV1[] {
    return this.#deliveries.flatMap((d) => d.results);
  }

  /** Results sent to `destination` fail with `error` until called with null. */
  failDestination(destination: Destination, error: BatchlaneError | null): void {
    const key = destinationKey(destination);
    if (error === null) this.#failedDestinations.delete(key);
    else this.#failedDestinations.set(key, error);
  }

  /**
   * The results with these custom ids fail with `error` wherever they go: every producer's,
   * or only `producer`'s when given (`''`: the default producer's).
   */
  failResults(
    customIds: readonly string[],
    error: BatchlaneError,
    options: { readonly producer?: string } = {},
  ): void {
    for (const id of customIds) {
      if (options.producer === undefined) this.#failedResults.set(id, error);
      else this.#failedOfProducer.set(resultIdentityOf({ custom_id: id, ...options }), error);
    }
  }
}

export { type Delivery, InMemoryResultDeliverer };
