import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSimulator, startSimulator } from '../../../local/simulator/startSimulator.js';
import { DynamoDbStateStore } from '../../../shared/adapters/aws/DynamoDbStateStore.js';
import { S3BlobStore } from '../../../shared/adapters/aws/S3BlobStore.js';
import { ensureStateTable } from '../../../shared/adapters/aws/stateTable.js';
import { AnthropicBatchProvider } from '../../../shared/adapters/providers/AnthropicBatchProvider.js';
import type { BatchlaneEvent } from '../../../shared/contract/events.js';
import { formatProviderLine } from '../../../shared/domain/formatProviderLine.js';
import type { BatchRecord } from '../../../shared/domain/records.js';
import type { RuntimeDeps } from '../../../shared/usecases/RuntimeDeps.js';
import { submitBatch } from '../../../shared/usecases/submitBatch.js';
import { runtimeOnPorts } from '../../support/runtimeOnPorts.js';
import { createBucket, emulatorClients, uniqueName } from '../aws/awsTestKit.js';
import { API_KEY, submitInput } from './providerTestKit.js';

/**
 * submitBatch resuming an Anthropic batch left in `submitting`: the real state store and
 * blob store on the emulators, the real provider adapter on the simulator.
 */
let sim: RunningSimulator;
let deps: RuntimeDeps;
let provider: AnthropicBatchProvider;
let sdk: Anthropic;
const published: BatchlaneEvent[] = [];

const lines = (count: number, model = 'claude-haiku-4-5'): string[] =>
  Array.from({ length: count }, (_, i) =>
    formatProviderLine('anthropic', '/v1/messages', `r${String(i).padStart(6, '0')}`, {
      model,
      max_tokens: 16,
      messages: [{ role: 'user', content: `question ${i}` }],
    }),
  );

const providerBatchCount = async (): Promise<number> => {
  let count = 0;
  for await (const _batch of sdk.messages.batches.list({ limit: 100 })) count += 1;
  return count;
};

/** A batch recorded as `submitting` since `startedAt`, with its input file written. */
const submittingBatch = async (
  count: number,
  startedAt: Date,
  model = 'claude-haiku-4-5',
  promptTokens: number | null = null,
): Promise<BatchRecord> => {
  const batchId = uniqueName('bl');
  const inputKey = `batches/${batchId}/input.jsonl`;
  const jsonl = `${lines(count, model).join('\n')}\n`;
  const { bytes } = await deps.blobs.put(inputKey, jsonl);
  const record: BatchRecord = {
    batchId,
    provider: 'anthropic',
    endpoint: '/v1/messages',
    models: [model],
    state: 'submitting',
    version: 0,
    inputKey,
    inputBytes: bytes,
    requestCount: count,
    providerBatchId: null,
    providerStatus: null,
    providerExpiresAt: null,
    createdAt: new Date(startedAt.getTime() - 1000).toISOString(),
    submittedAt: null,
    endedAt: null,
    completedAt: null,
    nextPollAt: startedAt.toISOString(),
    pollCount: 0,
    counts: null,
    resultKeys: [],
    lastError: null,
    completionLeaseUntil: null,
    checkpoint: null,
    submitStartedAt: startedAt.toISOString(),
    estimate:
      promptTokens === null
        ? null
        : { byModel: { [model]: { requests: count, tokens: promptTokens } }, nanoUsd: 0 },
  };
  await deps.store.createBatch(record);
  return record;
};

/** What the poller records when the provider ends a batch: its model's queue frees up. */
const markEnded = async (batchId: string): Promise<void> => {
  const batch = await deps.store.getBatch(batchId);
  if (batch === null) throw new Error(`batch ${batchId} is gone`);
  await deps.store.updateBatch(batchId, batch.version, { state: 'ended' });
};

beforeAll(async () => {
  sim = await startSimulator({ port: 0, processingMs: 60_000, seed: 3, apiKeys: [API_KEY] });
  provider = new AnthropicBatchProvider({ apiKey: API_KEY, baseUrl: sim.anthropicBaseUrl });
  sdk = new Anthropic({ apiKey: API_KEY, baseURL: sim.anthropicBaseUrl });
  const clients = emulatorClients();
  const tableName = uniqueName('reconcile');
  await ensureStateTable(clients.dynamodb, tableName);
  const bucket = await createBucket(clients, 'reconcile');
  const blobs = new S3BlobStore({ client: clients.s3, bucket });
  deps = runtimeOnPorts({
    store: new DynamoDbStateStore({ client: clients.documentClient, tableName, blobs }),
    blobs,
    providers: { anthropic: provider },
    events: {
      publish: async (events) => {
        published.push(...events);
      },
    },
    settings: { enabledProviders: ['anthropic'] },
  });
});

afterAll(async () => {
  await sim.stop();
});

describe('submitBatch resuming an Anthropic batch left in submitting', () => {
  it('adopts the provider batch the lost submission created instead of submitting again', async () => {
    // Prepare: the collector recorded `submitting`, the create went through, then it died.
    const startedAt = new Date();
    const batch = await submittingBatch(3, startedAt);
    const lost = await provider.submit(submitInput(batch.batchId, '/v1/messages', lines(3)));
    const before = await providerBatchCount();

    // Act
    const resumed = await submitBatch(deps, batch, { verifiedMembers: true });

    // Assess
    expect(resumed).toMatchObject({ state: 'submitted', providerBatchId: lost.providerBatchId });
    expect(await providerBatchCount()).toBe(before);
    expect((await deps.store.getBatch(batch.batchId))?.providerBatchId).toBe(lost.providerBatchId);
    const submittedEvent = published.find(
      (e) => (e.detail as { batch_id?: string }).batch_id === batch.batchId,
    );
    expect(submittedEvent?.detail).toMatchObject({ provider_batch_id: lost.providerBatchId });
  });

  it('submits when the lost submission never reached the provider, recording when it started', async () => {
    const startedAt = new Date();
    const batch = await submittingBatch(2, startedAt);
    const before = await providerBatchCount();

    const resumed = await submitBatch(deps, batch, { verifiedMembers: true });

    expect(resumed.state).toBe('submitted');
    expect(await providerBatchCount()).toBe(before + 1);
    const stored = await deps.store.getBatch(batch.batchId);
    expect(Date.parse(stored?.submitStartedAt ?? '')).toBeGreaterThanOrEqual(startedAt.getTime());
  });

  it('does not adopt a provider batch another batchlane batch already recorded', async () => {
    // Prepare: batch B of the same size was submitted and recorded during L's window; L's own
    // create never reached the provider.
    const startedAt = new Date();
    const lostOne = await submittingBatch(4, startedAt);
    const recorded = await submittingBatch(4, startedAt);
    await submitBatch(deps, recorded, { verifiedMembers: true });
    const owner = await deps.store.getBatch(recorded.batchId);
    const before = await providerBatchCount();

    // Act
    const resumed = await submitBatch(deps, lostOne, { verifiedMembers: true });

    // Assess: L got a provider batch of its own.
    expect(resumed.state).toBe('submitted');
    expect(resumed.providerBatchId).not.toBe(owner?.providerBatchId);
    expect(await providerBatchCount()).toBe(before + 1);
  });
});

describe('submitBatch where the provider caps batches running at once per model', () => {
  const HELD_MODEL = 'claude-sonnet-4-5';
  const heldEventsOf = (batchId: string) =>
    published.filter(
      (e) =>
        e.detailType === 'Requests Held' &&
        (e.detail as { batch_id?: string }).batch_id === batchId,
    );

  it('holds the batch over the cap, reports the hold once, and submits it when a slot frees', async () => {
    // Prepare: one batch of the model is running, which is all the cap allows.
    const capped: RuntimeDeps = {
      ...deps,
      settings: { ...deps.settings, maxConcurrentBatchesPerModel: { anthropic: 1 } },
    };
    const running = await submitBatch(capped, await submittingBatch(2, new Date(), HELD_MODEL), {
      verifiedMembers: true,
    });
    expect(running.state).toBe('submitted');
    const waiting = await submittingBatch(3, new Date(), HELD_MODEL);
    const before = await providerBatchCount();

    // Act: the first try, and the poller's next.
    const held = await submitBatch(capped, waiting, { verifiedMembers: true });
    const heldAgain = await submitBatch(capped, held, { verifiedMembers: true });

    // Assess: nothing reached the provider, and one event says why.
    expect(held.state).toBe('submitting');
    expect(held.lastError).toMatch(/^held: 1 anthropic batches running/);
    expect(heldAgain.providerBatchId).toBeNull();
    expect(await providerBatchCount()).toBe(before);
    expect(heldEventsOf(waiting.batchId).map((e) => e.detail)).toEqual([
      expect.objectContaining({
        reason: 'quota_jobs',
        provider: 'anthropic',
        model: HELD_MODEL,
        requests: 3,
        custom_ids: [],
        retry_in_seconds: 60,
      }),
    ]);

    // Act: the running batch ends, so the held one goes.
    await markEnded(running.batchId);
    const submitted = await submitBatch(capped, heldAgain, { verifiedMembers: true });

    // Assess
    expect(submitted).toMatchObject({ state: 'submitted', lastError: null });
    expect(await providerBatchCount()).toBe(before + 1);
    expect(heldEventsOf(waiting.batchId)).toHaveLength(1);
  });
});

describe('submitBatch where the provider caps the tokens enqueued per model', () => {
  const HELD_MODEL = 'claude-opus-4-5';

  it('holds the batch that would pass the cap, reports it once, and submits it when room frees', async () => {
    // Prepare: a running batch of the model holds 700 of the 1000 tokens the cap allows.
    const capped: RuntimeDeps = {
      ...deps,
      settings: { ...deps.settings, maxEnqueuedTokensPerModel: { anthropic: 1000 } },
    };
    const running = await submitBatch(
      capped,
      await submittingBatch(2, new Date(), HELD_MODEL, 700),
      { verifiedMembers: true },
    );
    expect(running.state).toBe('submitted');
    const waiting = await submittingBatch(3, new Date(), HELD_MODEL, 400);
    const before = await providerBatchCount();

    // Act: the first try, and the poller's next.
    const held = await submitBatch(capped, waiting, { verifiedMembers: true });
    const heldAgain = await submitBatch(capped, held, { verifiedMembers: true });

    // Assess: nothing reached the provider, and one event says why.
    expect(held.lastError).toBe(
      "held: 700 anthropic tokens enqueued for claude-opus-4-5; 400 more would pass the provider's cap",
    );
    expect(Date.parse(held.nextPollAt ?? '')).toBeGreaterThan(Date.now() + 30_000);
    expect(heldAgain.providerBatchId).toBeNull();
    expect(await providerBatchCount()).toBe(before);
    const heldEvents = published.filter(
      (e) =>
        e.detailType === 'Requests Held' &&
        (e.detail as { batch_id?: string }).batch_id === waiting.batchId,
    );
    expect(heldEvents.map((e) => e.detail)).toEqual([
      expect.objectContaining({
        reason: 'quota_enqueued_tokens',
        provider: 'anthropic',
        model: HELD_MODEL,
        requests: 3,
        custom_ids: [],
        retry_in_seconds: 60,
      }),
    ]);

    // Act: the running batch ends, so its tokens leave the queue and the held one goes.
    await markEnded(running.batchId);
    const submitted = await submitBatch(capped, heldAgain, { verifiedMembers: true });

    // Assess
    expect(submitted).toMatchObject({ state: 'submitted', lastError: null });
    expect(await providerBatchCount()).toBe(before + 1);
  });
});
