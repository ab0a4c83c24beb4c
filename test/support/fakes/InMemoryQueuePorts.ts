import type { BatchlaneError } from '../../../shared/domain/errors.js';
import { PRODUCER_ATTRIBUTE, producerAttributeOf } from '../../../shared/domain/producer.js';
import type { RealtimeJob } from '../../../shared/domain/RealtimeJob.js';
import type { CompletionNotifier } from '../../../shared/ports/CompletionNotifier.js';
import type { IntakeRequeuer, RequeuedMessage } from '../../../shared/ports/IntakeRequeuer.js';
import type { RealtimeDispatcher } from '../../../shared/ports/RealtimeDispatcher.js';
import type { InMemoryQueue } from './InMemoryQueue.js';

/** SQS's bounds, to which the SQS adapters clamp what they are given. */
const clampDelay = (seconds: number): number => Math.max(0, Math.min(900, Math.round(seconds)));
const clampVisibility = (seconds: number): number =>
  Math.max(0, Math.min(43_200, Math.round(seconds)));

/** Lets a test make the next calls of a fake fail, as an unreachable queue would. */
class FailureSwitch {
  #failure: BatchlaneError | null = null;

  /** Every call rejects with `error` until called again with null. */
  failWith(error: BatchlaneError | null): void {
    this.#failure = error;
  }

  protected throwIfFailing(): void {
    if (this.#failure !== null) throw this.#failure;
  }
}

/**
 * {@link IntakeRequeuer} onto an {@link InMemoryQueue} (the intake queue): each message anew,
 * with its producer as the `batchlane-producer` attribute (`(default)` for the default producer ''),
 * the delay clamped to 0–900 s.
 */
class InMemoryIntakeRequeuer extends FailureSwitch implements IntakeRequeuer {
  readonly #queue: InMemoryQueue;

  constructor(queue: InMemoryQueue) {
    super();
    this.#queue = queue;
  }

  async requeue(messages: readonly RequeuedMessage[], delaySeconds: number): Promise<void> {
    this.throwIfFailing();
    for (const message of messages) {
      this.#queue.send(message.body, {
        delaySeconds: clampDelay(delaySeconds),
        attributes: { [PRODUCER_ATTRIBUTE]: producerAttributeOf(message.producer) },
      });
    }
  }
}

/** {@link RealtimeDispatcher} onto an {@link InMemoryQueue} (the realtime queue): the job as JSON. */
class InMemoryRealtimeDispatcher extends FailureSwitch implements RealtimeDispatcher {
  readonly #queue: InMemoryQueue;

  constructor(queue: InMemoryQueue) {
    super();
    this.#queue = queue;
  }

  async dispatch(
    job: RealtimeJob,
    options: { readonly delaySeconds?: number } = {},
  ): Promise<void> {
    this.throwIfFailing();
    this.#queue.send(JSON.stringify(job), { delaySeconds: clampDelay(options.delaySeconds ?? 0) });
  }
}

/**
 * {@link CompletionNotifier} onto an {@link InMemoryQueue} (the completion queue):
 * `{"batch_id": …}` messages, and `retrySoon` moving a received message's visibility.
 */
class InMemoryCompletionNotifier extends FailureSwitch implements CompletionNotifier {
  readonly #queue: InMemoryQueue;

  constructor(queue: InMemoryQueue) {
    super();
    this.#queue = queue;
  }

  async notifyEnded(batchId: string): Promise<void> {
    this.throwIfFailing();
    this.#queue.send(JSON.stringify({ batch_id: batchId }));
  }

  async retrySoon(receiptHandle: string, delaySeconds: number): Promise<void> {
    this.throwIfFailing();
    this.#queue.changeVisibility(receiptHandle, clampVisibility(delaySeconds));
  }
}

export { InMemoryCompletionNotifier, InMemoryIntakeRequeuer, InMemoryRealtimeDispatcher };
