import type { BatchRecord } from './records.js';

/** One model of a batch that would pass its provider's enqueued-token cap. */
interface EnqueuedTokensOver {
  readonly model: string;
  /** Prompt tokens of the provider's running batches of this model, as admission estimated. */
  readonly enqueued: number;
  /** This batch's prompt tokens of the model. */
  readonly adding: number;
}

type BatchTokens = Pick<BatchRecord, 'batchId' | 'provider' | 'models' | 'state' | 'estimate'>;

/** The batch's estimated prompt tokens of one model; 0 when the record has no estimate. */
const tokensOf = (batch: BatchTokens, model: string): number =>
  batch.estimate?.byModel[model]?.tokens ?? 0;

/**
 * The first of the batch's models whose tokens, added to those of the provider's batches of
 * that model still at the provider (`submitting`, `submitted`), pass the provider's cap on
 * enqueued tokens per model (Together, OpenAI); null when the batch fits. A batch is let go
 * when nothing of its model is enqueued, even over the cap alone: holding it would wait for
 * room that no other batch frees, and the provider's own refusal says more.
 */
const enqueuedTokensOver = (
  batch: BatchTokens,
  active: readonly BatchTokens[],
  cap: number,
): EnqueuedTokensOver | null => {
  const running = active.filter(
    (other) =>
      other.batchId !== batch.batchId &&
      other.provider === batch.provider &&
      (other.state === 'submitted' || other.state === 'submitting'),
  );
  for (const model of batch.models) {
    const enqueued = running.reduce((sum, other) => sum + tokensOf(other, model), 0);
    const adding = tokensOf(batch, model);
    if (enqueued > 0 && enqueued + adding > cap) return { model, enqueued, adding };
  }
  return null;
};

export { type EnqueuedTokensOver, enqueuedTokensOver };
