import { describe, expect, it } from 'vitest';
import { type BatchSubmittedDetail, DETAIL_TYPES } from '../../../shared/contract/events.js';
import { newBatchRecord } from '../../../shared/domain/newBatchRecord.js';
import type { BatchRecord } from '../../../shared/domain/records.js';
import type { BatchTimes } from '../../../shared/domain/turnaround.js';
import type { ProviderBatchSnapshot } from '../../../shared/ports/BatchProvider.js';
import type { BatchPatch, StateStore } from '../../../shared/ports/StateStore.js';
import type { TurnaroundLog } from '../../../shared/ports/TurnaroundLog.js';
import type { RuntimeDeps } from '../../../shared/usecases/RuntimeDeps.js';
import { recordSubmitted } from '../../../shared/usecases/submitBatch.js';
import { FakeClock } from '../../support/fakes/FakeClock.js';
import { InMemoryEventPublisher } from '../../support/fakes/InMemoryEventPublisher.js';
import { InMemoryTurnaroundLog } from '../../support/fakes/InMemoryTurnaroundLog.js';
import { RecordingLogger, RecordingMetrics } from '../../support/fakes/RecordingObservability.js';

const MIN = 60_000;
const NOW = '2026-11-26T10:00:00.000Z';
const EXPIRES = '2026-11-27T10:00:00.000Z';

/** The one store call recording a submission makes: the versioned update of the batch. */
const storeOf = (batch: BatchRecord): Pick<StateStore, 'updateBatch'> => ({
  async updateBatch(_id: string, version: number, patch: BatchPatch) {
    return { ...batch, ...patch, version: version + 1 };
  },
});

const submitWith = async (turnarounds: TurnaroundLog | undefined, models = ['gpt-4.1-mini']) => {
  const events = new InMemoryEventPublisher();
  const logger = new RecordingLogger();
  const batch: BatchRecord = {
    ...newBatchRecord({
      batchId: 'bl_new',
      provider: 'openai',
      endpoint: '/v1/chat/completions',
      models,
      state: 'submitting',
      createdAt: NOW,
      nextPollAt: NOW,
    }),
    requestCount: 12,
  };
  const snapshot: ProviderBatchSnapshot = {
    providerBatchId: 'batch_1',
    phase: 'running',
    providerStatus: 'validating',
    expiresAt: EXPIRES,
    endedAt: null,
    failure: null,
    resultRefs: [],
  };
  const deps = {
    store: storeOf(batch),
    clock: new FakeClock(NOW),
    events,
    logger,
    metrics: new RecordingMetrics(),
    settings: { maxRequestsPerBatch: null, pollIntervalSeconds: 60 },
    ...(turnarounds === undefined ? {} : { turnarounds }),
  } as unknown as RuntimeDeps;
  await recordSubmitted(deps, batch, snapshot);
  const [detail] = events.detailsOf<BatchSubmittedDetail>(DETAIL_TYPES.batchSubmitted);
  return { detail, logger };
};

const times = (i: number, model: string, minutes: number): BatchTimes => {
  const submitted = Date.parse('2026-11-20T00:00:00.000Z') + i * 60 * MIN;
  return {
    batchId: `old_${model}_${i}`,
    provider: 'openai',
    model,
    requestCount: 100,
    submittedAt: new Date(submitted).toISOString(),
    inProgressAt: null,
    endedAt: new Date(submitted + minutes * MIN).toISOString(),
    firstDeliveredAt: null,
    lastDeliveredAt: new Date(submitted + minutes * MIN + 5000).toISOString(),
  };
};

describe('Batch Submitted: the expected end from recorded history', () => {
  it('carries the p50 and p90 end and how many batches they rest on', async () => {
    const log = new InMemoryTurnaroundLog();
    // Ten batches of 10..100 minutes: p50 is 50 min, p90 90 min.
    for (let i = 1; i <= 10; i++) await log.record(times(i, 'gpt-4.1-mini', i * 10));
    // Another model's history is not this batch's.
    await log.record(times(1, 'gpt-4.1', 600));
    const { detail } = await submitWith(log);
    expect(detail?.expected_end).toEqual({
      at: new Date(Date.parse(NOW) + 50 * MIN).toISOString(),
      likely_by: new Date(Date.parse(NOW) + 90 * MIN).toISOString(),
      basis: { batches: 10, model: 'gpt-4.1-mini' },
    });
  });

  it('rests a batch of several models on the mixed (`*`) history', async () => {
    const log = new InMemoryTurnaroundLog();
    await log.record(times(1, '*', 30));
    const { detail } = await submitWith(log, ['gpt-4.1-mini', 'gpt-4.1']);
    expect(detail?.expected_end?.basis).toEqual({ batches: 1, model: '*' });
    expect(detail?.expected_end?.at).toBe(new Date(Date.parse(NOW) + 30 * MIN).toISOString());
  });

  it('without history: the provider expiry, with no basis', async () => {
    const { detail } = await submitWith(new InMemoryTurnaroundLog());
    expect(detail?.expected_end).toEqual({ at: EXPIRES, likely_by: null, basis: null });
  });

  it('a history that cannot be read does not fail the submission', async () => {
    const failing: TurnaroundLog = {
      record: async () => {},
      recent: async () => [],
      turnaroundOf: async () => {
        throw new Error('throttled');
      },
    };
    const { detail, logger } = await submitWith(failing);
    expect(detail?.expected_end).toEqual({ at: EXPIRES, likely_by: null, basis: null });
    expect(logger.at('warn')).toHaveLength(1);
  });
});
