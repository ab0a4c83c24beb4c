import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_SENDER_ATTRIBUTE } from '../../../local/stack/SqsEventSourceMapping.js';
import type { ResultV1 } from '../../../shared/contract/result.js';
import { PRODUCER_ATTRIBUTE } from '../../../shared/domain/producer.js';
import { waitUntil } from '../../support/waitUntil.js';
import { type Pipeline, startPipeline } from './pipelineHarness.js';

let pipeline: Pipeline;

beforeAll(async () => {
  pipeline = await startPipeline();
}, 60_000);

afterAll(async () => {
  await pipeline?.stop();
});

const chat = (id: string, prompt: string) => ({
  custom_id: id,
  provider: 'openai',
  body: { model: 'gpt-4o-mini', max_tokens: 16, messages: [{ role: 'user', content: prompt }] },
  destination: pipeline.destinations.sqs,
});

/**
 * Sends as a given principal. fauxqs records one SenderId for everyone; the local stack reads
 * the sender from this attribute instead, as SQS records the signing principal in AWS.
 */
const sendAs = async (
  senderId: string,
  bodies: readonly object[],
  extra: Record<string, string> = {},
): Promise<void> => {
  await pipeline.aws.sqs.send(
    new SendMessageBatchCommand({
      QueueUrl: pipeline.stack.intakeQueueUrl,
      Entries: bodies.map((body, i) => ({
        Id: String(i),
        MessageBody: JSON.stringify(body),
        MessageAttributes: Object.fromEntries(
          Object.entries({ [LOCAL_SENDER_ATTRIBUTE]: senderId, ...extra }).map(([k, v]) => [
            k,
            { DataType: 'String', StringValue: v },
          ]),
        ),
      })),
    }),
  );
};

const byProducer = (results: readonly ResultV1[]) =>
  Object.fromEntries(
    [...new Set(results.map((r) => r.producer ?? ''))].map((p) => [
      p,
      results
        .filter((r) => (r.producer ?? '') === p)
        .map((r) => r.status)
        .sort(),
    ]),
  );

describe('Pipeline: producers are told apart', () => {
  it('scopes custom_ids, rejections and results to the sender SQS recorded', async () => {
    const id = 'shared-eval-1';
    // Team A's first try is invalid: it is refused, and must not reserve the id.
    await sendAs('AROATEAMA:nightly-1', [
      { custom_id: id, provider: 'openai', destination: pipeline.destinations.sqs },
    ]);
    await pipeline.waitForResults([id]);
    expect(pipeline.resultsFor(id).map((r) => [r.status, r.producer])).toEqual([
      ['rejected', 'AROATEAMA'],
    ]);
    const rejected = pipeline.events('Request Rejected').filter((e) => e['custom_id'] === id);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toMatchObject({ producer: 'AROATEAMA', reason: { code: 'missing_body' } });

    // Team B uses the same id for its own request; team A fixes its request and sends it
    // again under the same id, from another session of its role; a third sender claims to be
    // team B through the attribute only batchlane's own requeues may carry.
    await sendAs('AROATEAMB:batch-job', [chat(id, 'team b asks')]);
    await sendAs('AROATEAMA:nightly-2', [chat(id, 'team a asks')]);
    await sendAs('AROAEVIL:probe', [chat(id, 'squatting team b')], {
      [PRODUCER_ATTRIBUTE]: 'AROATEAMB',
    });
    // waitForResults collects what reached the destinations so far.
    await waitUntil(async () => {
      await pipeline.waitForResults([id]);
      return pipeline.resultsFor(id).length >= 4;
    }, `four results for ${id}`);
    // An identical resend of team B's request folds into the one it already made.
    await sendAs('AROATEAMB:batch-job-2', [chat(id, 'team b asks')]);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await pipeline.waitForResults([id]);

    expect(byProducer(pipeline.resultsFor(id))).toEqual({
      AROATEAMA: ['rejected', 'succeeded'],
      AROATEAMB: ['succeeded'],
      AROAEVIL: ['succeeded'],
    });
    // Each answer is its own producer's: nobody got another producer's request.
    const succeeded = pipeline.resultsFor(id).filter((r) => r.status === 'succeeded');
    for (const result of succeeded) expect(result.custom_id).toBe(id);
    // Nobody's id was taken: no conflicting_resend, no event anyone could probe ids with.
    expect(
      pipeline
        .events('Request Rejected')
        .filter((e) => (e['reason'] as { code: string }).code === 'conflicting_resend'),
    ).toEqual([]);
    expect(await pipeline.queueDepth(pipeline.stack.intakeDlqUrl)).toBe(0);
  }, 120_000);
});
