/** Puts intake messages back on the intake queue, to be read again after a delay. */
interface IntakeRequeuer {
  /** Sends each body as a new message, visible after `delaySeconds` (at most 900). */
  requeue(bodies: readonly string[], delaySeconds: number): Promise<void>;
}

export type { IntakeRequeuer };
