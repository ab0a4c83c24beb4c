import { PutObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_SENDER_ATTRIBUTE } from '../../../local/stack/SqsEventSourceMapping.js';
import { ENV } from '../../../shared/config/BatchlaneConfig.js';
import { type Pipeline, startPipeline } from './pipelineHarness.js';

/**
 * Claim checks per producer through the whole pipeline: the deployment maps two teams' roles
 * to namespaces, each team's claim checks are read only under `claims/<namespace>/`, and a
 * team naming the other's object is told exactly what it is told for an object that is not
 * there, while the good requests sent with it are delivered.
 */
const NAMESPACES = { AROATEAMA: 'team-a', AROATEAMB: 'team-b', AROALEGACY: '' };

let pipeline: Pipeline;

beforeAll(async () => {
  pipeline = await startPipeline({
    environment: { [ENV.producerNamespaces]: JSON.stringify(NAMESPACES) },
    collectorBatchSize: 20,
    collectorBatchingWindowMs: 1000,
  });
}, 60_000);

afterAll(async () => {
  await pipeline?.stop();
});

const body = (content: string) => ({
  model: 'claude-haiku-4-5',
  max_tokens: 16,
  messages: [{ role: 'user', content }],
});

const inline = (id: string, content: string) => ({
  custom_id: id,
  provider: 'anthropic',
  body: body(content),
  destination: pipeline.destinations.sqs,
});

const claimChecked = (id: string, key: string) => ({
  custom_id: id,
  provider: 'anthropic',
  body_s3_uri: `s3://${pipeline.stack.artifactsBucket}/${key}`,
  destination: pipeline.destinations.sqs,
});

const putClaim = (key: string, content: string) =>
  pipeline.aws.s3.send(
    new PutObjectCommand({
      Bucket: pipeline.stack.artifactsBucket,
      Key: key,
      Body: JSON.stringify(body(content)),
    }),
  );

/** Sends one SQS batch as `senderId` (the local stack reads the sender from this attribute). */
const sendAs = (senderId: string, messages: readonly object[]) =>
  pipeline.aws.sqs.send(
    new SendMessageBatchCommand({
      QueueUrl: pipeline.stack.intakeQueueUrl,
      Entries: messages.map((message, i) => ({
        Id: String(i),
        MessageBody: JSON.stringify(message),
        MessageAttributes: {
          [LOCAL_SENDER_ATTRIBUTE]: { DataType: 'String', StringValue: senderId },
        },
      })),
    }),
  );

describe('Pipeline: claim checks per producer', () => {
  it("reads each team's claim checks from its own prefix and refuses the other team's as missing", async () => {
    // Prepare: team A's body in its own prefix; a body in the shared prefix.
    await putClaim('claims/team-a/eval.json', 'team a, by claim check');
    await putClaim('claims/shared.json', 'the default producer, by claim check');

    // Act: each team's messages in one SQS batch, good ones beside the refused ones.
    await sendAs('AROATEAMA:nightly', [
      claimChecked('a-claim', 'claims/team-a/eval.json'),
      inline('a-inline', 'team a, inline'),
      // Team A reading the shared prefix: not its own.
      claimChecked('a-shared', 'claims/shared.json'),
    ]);
    await sendAs('AROATEAMB:batch-job', [
      inline('b-inline-1', 'team b, inline'),
      // Team B naming team A's object, and an object that is not there: the same answer.
      claimChecked('b-steals', 'claims/team-a/eval.json'),
      claimChecked('b-missing', 'claims/team-b/nothing.json'),
      inline('b-inline-2', 'team b, inline again'),
    ]);
    // A role mapped to the empty namespace is the default producer: the shared claims/.
    await sendAs('AROALEGACY:job', [claimChecked('legacy-claim', 'claims/shared.json')]);

    const ids = [
      'a-claim',
      'a-inline',
      'a-shared',
      'b-inline-1',
      'b-steals',
      'b-missing',
      'b-inline-2',
      'legacy-claim',
    ];
    await pipeline.waitForResults(ids, 120_000);

    // Assess: every good request delivered once, to its own producer.
    const only = (id: string) => {
      const results = pipeline.resultsFor(id);
      expect(results, id).toHaveLength(1);
      return results[0];
    };
    for (const [id, producer] of [
      ['a-claim', 'team-a'],
      ['a-inline', 'team-a'],
      ['b-inline-1', 'team-b'],
      ['b-inline-2', 'team-b'],
    ] as const) {
      expect(only(id), id).toMatchObject({ status: 'succeeded', producer });
    }
    const legacy = only('legacy-claim');
    expect(legacy?.status).toBe('succeeded');
    expect(legacy?.producer).toBeUndefined();

    // "Not yours" and "not there" are one refusal, code and message alike.
    const steals = only('b-steals');
    const missing = only('b-missing');
    expect(steals).toMatchObject({
      status: 'rejected',
      producer: 'team-b',
      error: { type: 'claim_check_missing' },
    });
    expect(steals?.error).toEqual(missing?.error);
    expect(steals?.error?.message).toContain(
      `s3://${pipeline.stack.artifactsBucket}/claims/team-b/`,
    );
    expect(only('a-shared')).toMatchObject({
      status: 'rejected',
      producer: 'team-a',
      error: { type: 'claim_check_missing' },
    });
    const rejected = pipeline
      .events('Request Rejected')
      .map((e) => [e['custom_id'], e['producer'], (e['reason'] as { code: string }).code]);
    expect(rejected.sort()).toEqual([
      ['a-shared', 'team-a', 'claim_check_missing'],
      ['b-missing', 'team-b', 'claim_check_missing'],
      ['b-steals', 'team-b', 'claim_check_missing'],
    ]);
    expect(await pipeline.queueDepth(pipeline.stack.intakeDlqUrl)).toBe(0);
  }, 180_000);
});
