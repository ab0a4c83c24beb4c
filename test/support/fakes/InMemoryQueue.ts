import { InvalidInputError } from '../../../shared/domain/errors.js';
import type { Clock } from '../../../shared/ports/Clock.js';

/** A message as a consumer receives it. */
interface QueuedMessage {
  readonly messageId: string;
  readonly body: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly receiptHandle: string;
  /** How many times it has been received, this time included (SQS `ApproximateReceiveCount`). */
  readonly receiveCount: number;
}

interface StoredMessage {
  readonly messageId: string;
  readonly body: string;
  readonly attributes: Readonly<Record<string, string>>;
  visibleAtMs: number;
  receiveCount: number;
  receiptHandle: string | null;
}

/** SQS's longest message delay, and longest visibility timeout. */
const MAX_DELAY_SECONDS = 900;
const MAX_VISIBILITY_SECONDS = 43_200;

/**
 * An SQS standard queue in memory, on a {@link Clock}: a message sent with a delay, or
 * received and not deleted, is invisible until its time comes; each receive hands out a new
 * receipt handle and only the latest one works, as in SQS. The fakes of the ports that send to
 * a queue write here, and tests read what they sent the way the consuming function would.
 */
class InMemoryQueue {
  readonly #clock: Clock;
  readonly #messages: StoredMessage[] = [];
  #sequence = 0;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  send(
    body: string,
    options: {
      readonly delaySeconds?: number;
      readonly attributes?: Readonly<Record<string, string>>;
    } = {},
  ): string {
    const delaySeconds = options.delaySeconds ?? 0;
    if (!Number.isInteger(delaySeconds) || delaySeconds < 0 || delaySeconds > MAX_DELAY_SECONDS) {
      throw new InvalidInputError(`DelaySeconds must be an integer from 0 to 900`, {
        code: 'invalid_input',
        details: { delaySeconds },
      });
    }
    for (const [name, value] of Object.entries(options.attributes ?? {})) {
      if (value === '') {
        throw new InvalidInputError(`message attribute ${name} has an empty value`, {
          code: 'invalid_input',
          details: { name },
        });
      }
    }
    this.#sequence += 1;
    const messageId = `m-${this.#sequence}`;
    this.#messages.push({
      messageId,
      body,
      attributes: { ...options.attributes },
      visibleAtMs: this.#clock.now().getTime() + delaySeconds * 1000,
      receiveCount: 0,
      receiptHandle: null,
    });
    return messageId;
  }

  /** Up to `max` visible messages, hidden for `visibilitySeconds` from now. */
  receive(
    options: { readonly max?: number; readonly visibilitySeconds?: number } = {},
  ): QueuedMessage[] {
    const now = this.#clock.now().getTime();
    const visible = this.#messages.filter((m) => m.visibleAtMs <= now).slice(0, options.max ?? 10);
    return visible.map((message) => {
      this.#sequence += 1;
      message.receiveCount += 1;
      message.receiptHandle = `rh-${message.messageId}-${this.#sequence}`;
      message.visibleAtMs = now + (options.visibilitySeconds ?? 30) * 1000;
      return {
        messageId: message.messageId,
        body: message.body,
        attributes: message.attributes,
        receiptHandle: message.receiptHandle,
        receiveCount: message.receiveCount,
      };
    });
  }

  /** Receives until nothing is visible: every message visible now, each once. */
  drain(): QueuedMessage[] {
    const all: QueuedMessage[] = [];
    for (let batch = this.receive(); batch.length > 0; batch = this.receive()) all.push(...batch);
    return all;
  }

  /** Makes a received message visible `seconds` from now (0: at once). */
  changeVisibility(receiptHandle: string, seconds: number): void {
    if (!Number.isInteger(seconds) || seconds < 0 || seconds > MAX_VISIBILITY_SECONDS) {
      throw new InvalidInputError('VisibilityTimeout must be an integer from 0 to 43200', {
        code: 'invalid_input',
        details: { seconds },
      });
    }
    const message = this.#byHandle(receiptHandle);
    message.visibleAtMs = this.#clock.now().getTime() + seconds * 1000;
  }

  delete(receiptHandle: string): void {
    const message = this.#byHandle(receiptHandle);
    this.#messages.splice(this.#messages.indexOf(message), 1);
  }

  /** Messages in the queue, visible or not. */
  get size(): number {
    return this.#messages.length;
  }

  #byHandle(receiptHandle: string): StoredMessage {
    const message = this.#messages.find((m) => m.receiptHandle === receiptHandle);
    if (message === undefined) {
      throw new InvalidInputError('the receipt handle is not valid for this queue', {
        code: 'invalid_input',
        details: { awsError: 'ReceiptHandleIsInvalid' },
      });
    }
    return message;
  }
}

export { InMemoryQueue, type QueuedMessage };
