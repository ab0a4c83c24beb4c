import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { LOCAL_ACCOUNT_SENDER_ID } from '../../../local/stack/SqsEventSourceMapping.js';
import { DynamoDbBudgetReservations } from '../../../shared/adapters/aws/DynamoDbBudgetReservations.js';
import { requestKey } from '../../../shared/adapters/aws/stateItemCodec.js';
import { ENV } from '../../../shared/config/BatchlaneConfig.js';
import { budgetPeriodOf } from '../../../shared/domain/budgetPeriod.js';
import { type Pipeline, startPipeline } from './pipelineHarness.js';

let pipeline: Pipeline | undefined;

afterEach(async () => {
  await pipeline?.stop();
  pipeline = undefined;
});

const chat = (id: string, destination: object) => ({
  custom_id: id,
  provider: 'openai',
  body: {
    model: 'gpt-4o-mini',
    max_tokens: 16,
    messages: [{ role: 'user', content: `question ${id}` }],
  },
  destination,
});

describe('Pipeline: admission by provider quota and budget', () => {
  it('holds requests past a quota in the intake queue and sends them once batches end', async () => {
    const running = await startPipeline({
      environment: {
        [ENV.quotas]: JSON.stringify({ openai: { 'gpt-4o-mini': { requests: 4 } } }),
        [ENV.quotaRetrySeconds]: '1',
      },
    });
    pipeline = running;
    const ids = Array.from({ length: 10 }, (_, i) => `quota-${i}`);
    await running.send(ids.map((id) => chat(id, running.destinations.sqs)));
    await running.waitForResults(ids, 120_000);
    for (const id of ids) {
      const results = running.resultsFor(id);
      expect(results, id).toHaveLength(1);
      expect(results[0]?.status).toBe('succeeded');
    }
    // Never more than the quota in one batch at a time: every batch holds at most 4.
    const submitted = running.events('Batch Submitted');
    expect(submitted.length).toBeGreaterThanOrEqual(3);
    for (const detail of submitted) expect(detail['request_count']).toBeLessThanOrEqual(4);
    const holds = running.events('Requests Held');
    expect(holds.length).toBeGreaterThan(0);
    expect(holds[0]).toMatchObject({
      reason: 'quota_requests',
      provider: 'openai',
      model: 'gpt-4o-mini',
      retry_in_seconds: 1,
    });
    expect(await running.queueDepth(running.stack.intakeDlqUrl)).toBe(0);
  }, 180_000);

  it('holds requests past a daily budget, reports the hold and loses nothing', async () => {
    const running = await startPipeline({
      // One millionth of a dollar: less than any request's worst case.
      environment: { [ENV.budgetDailyUsd]: '0.000001' },
    });
    pipeline = running;
    const ids = ['budget-0', 'budget-1', 'budget-2'];
    const unpriced = {
      ...chat('budget-unpriced', running.destinations.sqs),
      body: { model: 'gpt-unlisted-9', max_tokens: 16, messages: [{ role: 'user', content: 'x' }] },
    };
    await running.send([...ids.map((id) => chat(id, running.destinations.sqs)), unpriced]);
    let holds: Record<string, unknown>[] = [];
    for (let tries = 0; tries < 300 && holds.length === 0; tries += 1) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      holds = running.events('Requests Held');
    }
    expect(holds[0]).toMatchObject({
      reason: 'budget_daily',
      producer: LOCAL_ACCOUNT_SENDER_ID,
      provider: 'openai',
      requests: 3,
      retry_in_seconds: 900,
    });
    expect([...((holds[0]?.['custom_ids'] as string[] | undefined) ?? [])].sort()).toEqual(ids);
    // A model without a price cannot be held by a budget: refused with its own code.
    await running.waitForResults(['budget-unpriced']);
    expect(running.resultsFor('budget-unpriced')).toMatchObject([
      { status: 'rejected', error: { type: 'unpriced_model' } },
    ]);
    // Not delivered, not refused: accepted and waiting, the messages back in the queue.
    for (const id of ids) expect(running.resultsFor(id)).toEqual([]);
    // Held before packing, so nothing is in the ledger yet: a request's one entry is written
    // when it is packed, already naming its batch.
    for (const id of ids) {
      const entry = await running.aws.documentClient.send(
        new GetCommand({
          TableName: running.stack.tableName,
          Key: requestKey(LOCAL_ACCOUNT_SENDER_ID, id),
          ConsistentRead: true,
        }),
      );
      expect(entry.Item).toBeUndefined();
    }
    const attrs = await running.aws.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: running.stack.intakeQueueUrl,
        AttributeNames: ['ApproximateNumberOfMessagesDelayed'],
      }),
    );
    expect(attrs.Attributes?.['ApproximateNumberOfMessagesDelayed']).toBe('3');
    expect(running.events('Batch Submitted')).toEqual([]);
  }, 120_000);
  it('settles each batch to what it cost: the day counter ends at the sum of the results', async () => {
    const running = await startPipeline({
      environment: { [ENV.budgetDailyUsd]: '5', [ENV.budgetMonthlyUsd]: '50' },
    });
    pipeline = running;
    const ids = Array.from({ length: 6 }, (_, i) => `settle-${i}`);
    await running.send(ids.map((id) => chat(id, running.destinations.sqs)));
    await running.waitForResults(ids, 120_000);
    const results = ids.flatMap((id) => running.resultsFor(id));
    expect(results.map((r) => r.status)).toEqual(ids.map(() => 'succeeded'));
    const spentNano = results.reduce((sum, r) => sum + Math.round(r.cost.usd * 1e9), 0);
    expect(spentNano).toBeGreaterThan(0);
    const budgets = new DynamoDbBudgetReservations({
      client: running.aws.documentClient,
      tableName: running.stack.tableName,
    });
    const period = budgetPeriodOf(new Date());
    // While batches run, the counter holds their worst case (max_tokens of output); once each
    // is costed, only what it really cost.
    let reserved = await budgets.read(period);
    for (let tries = 0; tries < 300 && reserved.dayNanoUsd !== spentNano; tries += 1) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      reserved = await budgets.read(period);
    }
    expect(reserved).toEqual({ dayNanoUsd: spentNano, monthNanoUsd: spentNano });
  }, 180_000);
});
