import type { BatchSubmittedDetail } from '../contract/events.js';
import type { ProviderName } from '../contract/providers.js';
import { errorMessage } from '../domain/errors.js';
import { expectedEndOf, turnaroundModelOf } from '../domain/turnaround.js';
import type { Logger } from '../ports/Logger.js';
import type { TurnaroundLog } from '../ports/TurnaroundLog.js';

type ExpectedEndDetail = NonNullable<BatchSubmittedDetail['expected_end']>;

/**
 * When a batch submitted at `submittedAt` is expected to end: its provider and model's
 * recorded p50 (and p90) turnaround, with how many batches that rests on; without history, the
 * provider's own expiry (basis null); null when neither is known. A history that cannot be
 * read counts as none: an estimate is never worth failing a submission for.
 */
const expectedEndOfBatch = async (
  deps: { readonly turnarounds?: TurnaroundLog; readonly logger: Logger },
  batch: {
    readonly batchId: string;
    readonly provider: ProviderName;
    readonly models: readonly string[];
  },
  submittedAt: string,
  providerExpiresAt: string | null,
): Promise<ExpectedEndDetail | null> => {
  const model = turnaroundModelOf(batch.models);
  let expected: ReturnType<typeof expectedEndOf> = null;
  try {
    const stats = (await deps.turnarounds?.turnaroundOf(batch.provider, model)) ?? null;
    expected = expectedEndOf(submittedAt, stats);
  } catch (error) {
    deps.logger.warn('turnaround history not read; the expected end is the provider expiry', {
      batchId: batch.batchId,
      error: errorMessage(error),
    });
  }
  if (expected !== null) {
    return {
      at: expected.expectedEndAt,
      likely_by: expected.likelyBy,
      basis: { batches: expected.basis.batches, model: expected.basis.model },
    };
  }
  return providerExpiresAt === null
    ? null
    : { at: providerExpiresAt, likely_by: null, basis: null };
};

export { type ExpectedEndDetail, expectedEndOfBatch };
