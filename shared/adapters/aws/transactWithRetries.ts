import type { DynamoDBDocumentClient, TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { awsBackoffMs, type Sleep } from './backoff.js';
import { isAwsErrorNamed } from './isAwsErrorNamed.js';

interface CancellationReason {
  readonly Code?: string;
  readonly Item?: unknown;
}

type TransactItems = NonNullable<TransactWriteCommandInput['TransactItems']>;

interface TransactOptions {
  readonly maxAttempts: number;
  readonly sleep: Sleep;
  /** Turns an SDK error into the project's error type. */
  readonly translate: (error: unknown) => Error;
}

const cancellationReasons = (error: unknown): readonly CancellationReason[] => {
  const reasons = (error as { CancellationReasons?: unknown }).CancellationReasons;
  return Array.isArray(reasons) ? (reasons as CancellationReason[]) : [];
};

/**
 * Runs a transaction, retrying it while concurrent transactions on the same items cancel it.
 * Returns null when it was applied, or the cancellation reasons (one per item, in order)
 * when a condition failed: the caller decides what a failed condition means.
 */
const transactWithRetries = async (
  client: DynamoDBDocumentClient,
  items: TransactItems,
  options: TransactOptions,
): Promise<readonly CancellationReason[] | null> => {
  for (let attempt = 1; ; attempt++) {
    try {
      await client.send(new TransactWriteCommand({ TransactItems: items }));
      return null;
    } catch (error) {
      if (!isAwsErrorNamed(error, 'TransactionCanceledException')) throw options.translate(error);
      const reasons = cancellationReasons(error);
      if (reasons.some((r) => r?.Code === 'ConditionalCheckFailed')) return reasons;
      // A concurrent transaction on the same items: retry, and the conditions decide.
      if (attempt >= options.maxAttempts) throw options.translate(error);
      await options.sleep(awsBackoffMs(attempt, 20, 1_000));
    }
  }
};

export { type CancellationReason, type TransactItems, transactWithRetries };
