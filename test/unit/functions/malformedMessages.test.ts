import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import type { Context, SQSRecord } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import type { Runtime } from '../../../shared/composition/createRuntime.js';
import type { BatchlaneConfig } from '../../../shared/config/BatchlaneConfig.js';
import { METRIC } from '../../../shared/contract/metrics.js';
import { type RealtimeJob, realtimeRequestKey } from '../../../shared/domain/RealtimeJob.js';
import { createCollector } from '../../../shared/usecases/createCollector.js';
import { type FakeRuntime, fakeRuntime } from '../../support/fakeRuntime.js';
import { anthropicRequest } from '../../support/requests.js';

// The handler modules build their runtime from the environment when loaded; here that one is
// on fakes too, and each test hands the factories a runtime of its own.
vi.mock('../../../shared/composition/createRuntime.js', async () => {
  const { fakeRuntime: fakes } = await import('../../support/fakeRuntime.js');
  return { createRuntime: async () => ({ deps: fakes().deps, logger: {}, flushMetrics() {} }) };
});

const { makeRealtimeHandler } = await import('../../../functions/realtime.js');
const { makeCompletionHandler } = await import('../../../functions/completion.js');

const QUEUE = 'https://sqs.us-east-1.amazonaws.com/123456789012/results';

/** A handler's runtime on the fakes of `rt`. */
const runtimeOf = (rt: FakeRuntime): Runtime => ({
  config: { completionRetrySeconds: 30 } as BatchlaneConfig,
  deps: rt.deps,
  logger: new PowertoolsLogger({ serviceName: 'test', logLevel: 'SILENT' }),
  flushMetrics: () => undefined,
});

const context = {
  functionName: 'test',
  awsRequestId: 'req-1',
  getRemainingTimeInMillis: () => 900_000,
} as unknown as Context;

const record = (messageId: string, body: string): SQSRecord =>
  ({
    messageId,
    receiptHandle: `rh-${messageId}`,
    body,
    attributes: { ApproximateReceiveCount: '1' },
    messageAttributes: {},
  }) as unknown as SQSRecord;

/** A realtime job for a request registered `pending`, as the collector hands one on. */
const realtimeJob = async (rt: FakeRuntime, customId: string): Promise<RealtimeJob> => {
  const requestHash = `h-${customId}`;
  const key = realtimeRequestKey('', customId, requestHash);
  await rt.blobs.put(
    key,
    JSON.stringify({
      body: { model: 'claude-test', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] },
    }),
  );
  const acceptedAt = rt.clock.now().toISOString();
  await rt.store.registerRequest({
    producer: '',
    customId,
    requestHash,
    state: 'pending',
    acceptedAt,
    expiresAt: 1_900_000_000,
  });
  return {
    schema: 'batchlane.realtime-job.v1',
    custom_id: customId,
    producer: '',
    request_hash: requestHash,
    request_key: key,
    provider: 'anthropic',
    endpoint: '/v1/messages',
    model: 'claude-test',
    lane: 'realtime',
    requested: 'flex',
    reason: 'tier flex',
    destination: { type: 'sqs', queue_url: QUEUE },
    metadata: null,
    deadline: null,
    accepted_at: acceptedAt,
    reserved_nano_usd: 0,
    reserved_on: null,
    hold_until: null,
    attempt: 1,
    target: { kind: 'request' },
  };
};

describe('the realtime handler and a malformed job', () => {
  it('counts each malformed job, acknowledges it, and serves its neighbour', async () => {
    const rt = fakeRuntime({ start: '2026-11-26T10:00:00.000Z' });
    const job = await realtimeJob(rt, 'good-1');
    const handle = makeRealtimeHandler(runtimeOf(rt));

    const response = await handle(
      {
        Records: [
          record('not-json', '{"schema": "batchlane.realtime-job.v1", '),
          record('good', JSON.stringify(job)),
          record('not-a-job', JSON.stringify({ ...job, schema: 'something-else' })),
        ],
      },
      context,
    );

    expect(response.batchItemFailures).toEqual([]);
    expect(rt.metrics.total(METRIC.MalformedRealtimeJobs)).toBe(2);
    expect(rt.deliverer.allResults().map((r) => r.custom_id)).toEqual(['good-1']);
  });

  it('counts nothing when every job is well formed', async () => {
    const rt = fakeRuntime({ start: '2026-11-26T10:00:00.000Z' });
    const job = await realtimeJob(rt, 'good-2');
    const response = await makeRealtimeHandler(runtimeOf(rt))(
      { Records: [record('good', JSON.stringify(job))] },
      context,
    );
    expect(response.batchItemFailures).toEqual([]);
    expect(rt.metrics.total(METRIC.MalformedRealtimeJobs)).toBe(0);
  });
});

describe('the completion handler and a malformed message', () => {
  it('counts each malformed message, acknowledges it, and completes its neighbour', async () => {
    const rt = fakeRuntime();
    const collected = await createCollector(rt.deps)([
      {
        messageId: 'm-1',
        body: JSON.stringify(anthropicRequest('c-1', { type: 'sqs', queue_url: QUEUE })),
      },
    ]);
    const [batchId] = collected.batches;
    if (batchId === undefined) throw new Error('no batch was made');
    const handle = makeCompletionHandler(runtimeOf(rt));

    const response = await handle(
      {
        Records: [
          record('not-json', '{"batch_id": '),
          record('good', JSON.stringify({ batch_id: batchId })),
          record('no-batch', JSON.stringify({ batchId })),
        ],
      },
      context,
    );

    expect(response.batchItemFailures).toEqual([]);
    expect(rt.metrics.total(METRIC.MalformedCompletionMessages)).toBe(2);
    // The neighbour was acted on: its sealed batch was assembled and submitted.
    expect((await rt.store.getBatch(batchId))?.state).toBe('submitted');
  });
});

describe('the completion handler and a batch whose provider results are gone', () => {
  it('acknowledges the message: the batch completes, its member sent again, not retried into the dead-letter queue', async () => {
    const rt = fakeRuntime();
    const collected = await createCollector(rt.deps)([
      {
        messageId: 'm-1',
        body: JSON.stringify(anthropicRequest('gone-1', { type: 'sqs', queue_url: QUEUE })),
      },
    ]);
    const [batchId] = collected.batches;
    if (batchId === undefined) throw new Error('no batch was made');
    const handle = makeCompletionHandler(runtimeOf(rt));
    const message = record('m-batch', JSON.stringify({ batch_id: batchId }));
    // Submitted, then ended at the provider, whose results are gone by the time it is read.
    await handle({ Records: [message] }, context);
    rt.provider.expireResults();
    rt.clock.advance(5 * 60_000);

    const response = await handle({ Records: [message] }, context);

    expect(response.batchItemFailures).toEqual([]);
    expect(rt.metrics.total(METRIC.BatchResultsGone)).toBe(1);
    const batch = await rt.store.getBatch(batchId);
    expect(batch?.lastError).toMatch(/^provider_results_gone: /);
    expect(batch).toMatchObject({ state: 'completed', counts: { retried: 1 } });
  });
});

describe('the completion handler and a batch with no record', () => {
  it('acknowledges the message: an absent batch can never be completed', async () => {
    const rt = fakeRuntime();
    const response = await makeCompletionHandler(runtimeOf(rt))(
      { Records: [record('m-unknown', JSON.stringify({ batch_id: 'bl_no_such_batch' }))] },
      context,
    );
    expect(response.batchItemFailures).toEqual([]);
    expect(rt.logger.withMessage('completion asked for an unknown batch')).toHaveLength(1);
  });
});
