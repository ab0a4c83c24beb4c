/** Tells the completion function that a batch has ended and its results can be delivered. */
interface CompletionNotifier {
  notifyEnded(batchId: string): Promise<void>;
}

export type { CompletionNotifier };
