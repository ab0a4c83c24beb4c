import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbTurnaroundLog } from '../../../shared/adapters/aws/DynamoDbTurnaroundLog.js';
import { type Pipeline, startPipeline } from './pipelineHarness.js';

let pipeline: Pipeline;

beforeAll(async () => {
  pipeline = await startPipeline({
    // The poller runs once at start and then not for ten minutes: every batch below ends
    // through a pushed webhook or not at all. Batches are sealed and submitted by the
    // collector at the end of its invocation, without the poller.
    pollIntervalMs: 600_000,
    batchMaxAgeSeconds: 0,
  });
  // Each webhook delivered twice under the same id, as at-least-once delivery allows.
  const receiver = pipeline.stack.receiver;
  if (receiver === null || pipeline.stack.simulator === null) throw new Error('no receiver');
  pipeline.stack.simulator.setWebhooks(
    {
      openai: { url: `${receiver.url}openai`, secret: receiver.secrets.openai },
      gemini: { url: `${receiver.url}gemini`, secret: receiver.secrets.gemini },
    },
    { copies: 2 },
  );
});

afterAll(async () => {
  await pipeline?.stop();
});

const openai = (id: string) => ({
  custom_id: id,
  provider: 'openai',
  body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: `question ${id}` }] },
  destination: pipeline.destinations.sqs,
});
const gemini = (id: string) => ({
  custom_id: id,
  provider: 'gemini',
  body: {
    model: 'models/gemini-2.5-flash',
    contents: [{ role: 'user', parts: [{ text: `question ${id}` }] }],
  },
  destination: pipeline.destinations.sqs,
});

/** Posts a webhook to the local receiver as a provider (or a forger) would. */
const post = async (
  provider: string,
  secret: string,
  event: unknown,
  options: { id?: string; at?: Date } = {},
): Promise<{ status: number; code: string }> => {
  const body = JSON.stringify(event);
  const id = options.id ?? `wh_${randomBytes(8).toString('hex')}`;
  const at = options.at ?? new Date();
  const response = await fetch(`${pipeline.stack.receiver?.url}${provider}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': new Webhook(secret).sign(id, at, body),
    },
    body,
  });
  return { status: response.status, code: ((await response.json()) as { code: string }).code };
};

describe('Pipeline: batches completed by the providers’ webhooks', () => {
  it('delivers OpenAI and Gemini batches once each, pushed twice, with no poll after the start', async () => {
    const requests = [
      ...Array.from({ length: 6 }, (_, i) => openai(`push-openai-${i}`)),
      ...Array.from({ length: 6 }, (_, i) => gemini(`push-gemini-${i}`)),
    ];
    const ids = requests.map((r) => r.custom_id);

    await pipeline.send(requests);
    await pipeline.waitForResults(ids);

    for (const id of ids) expect(pipeline.resultsFor(id), id).toHaveLength(1);
    const stats = pipeline.stack.simulator?.webhookStats();
    // Both copies of each announcement answered 2xx: the second as a duplicate.
    expect(stats?.delivered.openai).toBeGreaterThanOrEqual(2);
    expect(stats?.delivered.gemini).toBeGreaterThanOrEqual(2);
    expect(stats?.failed).toBe(0);
    // One run of the schedule at most (the start): the ends came by push.
    expect(pipeline.stack.functionStats().poller.invocations).toBeLessThanOrEqual(1);
    const ended = pipeline.events('Batch Ended');
    expect(ended.map((e) => e['provider']).sort()).toEqual(
      expect.arrayContaining(['gemini', 'openai']),
    );
    // Each delivered batch recorded its times, one item each, per provider and model.
    const log = new DynamoDbTurnaroundLog({
      client: pipeline.aws.documentClient,
      tableName: pipeline.stack.tableName,
    });
    const openaiBatches = ended.filter((e) => e['provider'] === 'openai').length;
    const turnaround = await log.turnaroundOf('openai', 'gpt-4o-mini');
    expect(turnaround?.batches).toBe(openaiBatches);
    // (OpenAI reports its end to the second: a 300 ms batch may record 0 ms.)
    expect(turnaround?.p99Ms).toBeGreaterThanOrEqual(turnaround?.p50Ms ?? Number.NaN);
    const recent = await log.recent('openai', 'gpt-4o-mini');
    expect(recent.map((t) => t.batchId).sort()).toEqual(
      ended
        .filter((e) => e['provider'] === 'openai')
        .map((e) => String(e['batch_id']))
        .sort(),
    );
    expect(recent.reduce((sum, t) => sum + t.requestCount, 0)).toBe(6);
    for (const t of recent) {
      expect(Date.parse(t.lastDeliveredAt)).toBeGreaterThanOrEqual(Date.parse(t.submittedAt));
    }
  });

  it('refuses forged and stale webhooks, drops a replay, and delivers nothing twice', async () => {
    const secrets = pipeline.stack.receiver?.secrets;
    if (secrets === undefined) throw new Error('no receiver');
    const ended = pipeline.events('Batch Ended').find((e) => e['provider'] === 'openai');
    const providerBatchId = String(ended?.['provider_batch_id']);
    const event = {
      id: 'evt_test',
      object: 'event',
      created_at: Math.floor(Date.now() / 1000),
      type: 'batch.completed',
      data: { id: providerBatchId },
    };
    const forger = `whsec_${randomBytes(32).toString('base64')}`;

    expect(await post('openai', forger, event)).toEqual({ status: 401, code: 'invalid_signature' });
    expect(await post('openai', secrets.gemini, event)).toEqual({
      status: 401,
      code: 'invalid_signature',
    });
    const late = new Date(Date.now() - 15 * 60_000);
    expect(await post('openai', secrets.openai, event, { at: late })).toEqual({
      status: 401,
      code: 'stale_timestamp',
    });
    // A genuine webhook about a batch already delivered, then its exact replay.
    expect(await post('openai', secrets.openai, event, { id: 'wh_replayed' })).toEqual({
      status: 200,
      code: 'already_completed',
    });
    expect(await post('openai', secrets.openai, event, { id: 'wh_replayed' })).toEqual({
      status: 200,
      code: 'duplicate',
    });
    // About a batch that is not batchlane's.
    expect(
      await post('openai', secrets.openai, { ...event, data: { id: 'batch_someone_else' } }),
    ).toEqual({ status: 200, code: 'unknown_batch' });

    await new Promise((resolve) => setTimeout(resolve, 1500));
    for (let i = 0; i < 6; i += 1) {
      expect(pipeline.resultsFor(`push-openai-${i}`)).toHaveLength(1);
    }
  });
});
