/** An intake message to send again: its body as sent, and the producer it belongs to. */
interface RequeuedMessage {
  readonly body: string;
  /** Carried as the `batchlane-producer` attribute: the queue records batchlane as sender. */
  readonly producer: string;
}

/** Puts intake messages back on the intake queue, to be read again after a delay. */
interface IntakeRequeuer {
  /** Sends each message anew, visible after `delaySeconds` (clamped to SQS's 0–900). */
  requeue(messages: readonly RequeuedMessage[], delaySeconds: number): Promise<void>;
}

export type { IntakeRequeuer, RequeuedMessage };
