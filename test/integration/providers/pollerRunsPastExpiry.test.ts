import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbStateStore } from '../../../shared/adapters/aws/DynamoDbStateStore.js';
import { ensureStateTable } from '../../../shared/adapters/aws/stateTable.js';
import { BUILT_IN_PROFILES, profileRunLimits } from '../../../shared/contract/providerProfile.js';
import type { BatchRecord } from '../../../shared/domain/records.js';
import type { BatchProvider } from '../../../shared/ports/BatchProvider.js';
import { createPoller } from '../../../shared/usecases/createPoller.js';
import type { RuntimeDeps } from '../../../shared/usecases/RuntimeDeps.js';
import { InMemoryBlobStore } from '../../support/fakes/InMemoryBlobStore.js';
import { RecordingMetrics } from '../../support/fakes/RecordingObservability.js';
import { runtimeOnPorts } from '../../support/runtimeOnPorts.js';
import { emulatorClients, uniqueName } from '../aws/awsTestKit.js';

/**
 * The poller on the real state store, against providers whose batches are still running
 * 30 h after they were created: past a 24 h expiry. xAI's window is hard, so its batch counts
 * as stuck; Together's profile says its batches run to 72 h, so its batch does not yet.
 */
const HOUR = 3_600_000;
let store: DynamoDbStateStore;

/** A provider that reports every batch still running, with the expiry it was created with. */
const stillRunning = (expiresAt: string): BatchProvider =>
  ({
    retrieve: async (providerBatchId: string) => ({
      providerBatchId,
      phase: 'running',
      providerStatus: 'in_progress',
      expiresAt,
      endedAt: null,
      failure: null,
      resultRefs: [],
    }),
  }) as unknown as BatchProvider;

const runningBatch = async (provider: 'xai' | 'together', createdAt: Date) => {
  const batchId = uniqueName(`stuck-${provider}`);
  const record: BatchRecord = {
    batchId,
    provider,
    endpoint: '/v1/chat/completions',
    models: ['m'],
    state: 'submitted',
    version: 0,
    inputKey: `batches/${batchId}/input.jsonl`,
    inputBytes: 10,
    requestCount: 1,
    providerBatchId: `pb-${batchId}`,
    providerStatus: 'in_progress',
    providerExpiresAt: new Date(createdAt.getTime() + 24 * HOUR).toISOString(),
    createdAt: createdAt.toISOString(),
    submittedAt: createdAt.toISOString(),
    endedAt: null,
    completedAt: null,
    nextPollAt: new Date(0).toISOString(),
    pollCount: 3,
    counts: null,
    resultKeys: [],
    lastError: null,
    completionLeaseUntil: null,
    checkpoint: null,
  };
  await store.createBatch(record);
  return record;
};

const depsFor = (metrics: RecordingMetrics, providers: RuntimeDeps['providers']): RuntimeDeps =>
  runtimeOnPorts({
    store,
    providers,
    events: { publish: async () => undefined },
    metrics,
    settings: {
      enabledProviders: ['xai', 'together'],
      runsPastExpiryMs: profileRunLimits(BUILT_IN_PROFILES).runsPastExpiryMs,
    },
  });

beforeAll(async () => {
  const clients = emulatorClients();
  const tableName = uniqueName('stuck');
  await ensureStateTable(clients.dynamodb, tableName);
  // Running batches only: nothing here reads what a batch holds.
  store = new DynamoDbStateStore({
    client: clients.documentClient,
    tableName,
    blobs: new InMemoryBlobStore(),
  });
});

describe('Poller: a batch running past its provider expiry', () => {
  it('counts a hard-window batch as stuck, but not one whose profile says it runs to 72 h', async () => {
    // Prepare: one batch of each, created 30 h ago, both reported still running.
    const createdAt = new Date(Date.now() - 30 * HOUR);
    const xai = await runningBatch('xai', createdAt);
    const together = await runningBatch('together', createdAt);
    const metrics = new RecordingMetrics();
    const poll = createPoller(
      depsFor(metrics, {
        xai: stillRunning(xai.providerExpiresAt ?? ''),
        together: stillRunning(together.providerExpiresAt ?? ''),
      }),
    );

    // Act
    await poll();

    // Assess: both were asked about and stay running; only xAI's counts as stuck.
    expect(metrics.total('BatchesStuckPastExpiry', { provider: 'xai' })).toBe(1);
    expect(metrics.total('BatchesStuckPastExpiry', { provider: 'together' })).toBe(0);
    expect((await store.getBatch(xai.batchId))?.state).toBe('submitted');
    expect((await store.getBatch(together.batchId))?.pollCount).toBe(4);
  });
});
