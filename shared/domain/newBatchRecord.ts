import type { BatchRecord } from './records.js';

/** What a new batch starts with; everything else starts empty. */
type NewBatch = Pick<
  BatchRecord,
  'batchId' | 'provider' | 'endpoint' | 'models' | 'state' | 'createdAt' | 'nextPollAt'
> &
  Partial<Pick<BatchRecord, 'partCount' | 'estimate' | 'escalateAt' | 'lastError'>>;

/** A batch record before any provider, poll or completion has touched it. */
const newBatchRecord = (batch: NewBatch): BatchRecord => ({
  version: 0,
  inputKey: `batches/${batch.batchId}/input.jsonl`,
  inputBytes: 0,
  requestCount: 0,
  providerBatchId: null,
  providerStatus: null,
  providerExpiresAt: null,
  submittedAt: null,
  endedAt: null,
  completedAt: null,
  pollCount: 0,
  counts: null,
  resultKeys: [],
  lastError: null,
  completionLeaseUntil: null,
  checkpoint: null,
  submitStartedAt: null,
  escalateAt: null,
  estimate: null,
  ...batch,
});

export { type NewBatch, newBatchRecord };
