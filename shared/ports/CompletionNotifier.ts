/**
 * Tells the completion function that a batch has work for it: it has ended and its results
 * can be delivered, or it is sealed and its input is to be assembled and submitted.
 */
interface CompletionNotifier {
  notifyEnded(batchId: string): Promise<void>;
  /**
   * Brings a completion message that failed back after `delaySeconds` instead of the queue's
   * (long) visibility timeout: the rerun of a failed run then comes soon, while an SQS FIFO
   * destination still remembers what the failed run sent. The delay is clamped to SQS's
   * 0–43 200 s; a receipt handle the queue no longer knows is refused, not retryable.
   */
  retrySoon(receiptHandle: string, delaySeconds: number): Promise<void>;
}

export type { CompletionNotifier };
