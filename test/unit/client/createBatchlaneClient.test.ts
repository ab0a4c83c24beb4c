import { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { createBatchlaneClient } from '../../../client/createBatchlaneClient.js';
import type { RequestV1Input } from '../../../shared/contract/request.js';

type Entries = { Id: string; MessageBody: string }[];

/** An SQS client that takes every entry, answers GetQueueAttributes, and records what it got. */
const fakeSqs = (maximumMessageSize: string | null) => {
  const batches: Entries[] = [];
  const attributeReads: string[][] = [];
  const client = {
    send: async (command: { input: Record<string, unknown> }) => {
      if ('AttributeNames' in command.input) {
        attributeReads.push(command.input['AttributeNames'] as string[]);
        if (maximumMessageSize === null) throw new Error('AccessDenied');
        return { Attributes: { MaximumMessageSize: maximumMessageSize } };
      }
      const entries = command.input['Entries'] as Entries;
      batches.push(entries);
      return {
        Successful: entries.map((e) => ({ Id: e.Id, MessageId: `m-${batches.length}-${e.Id}` })),
      };
    },
  } as unknown as SQSClient;
  return { client, batches, attributeReads };
};

const QUEUE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/intake';
const request = (id: string, content = `q ${id}`): RequestV1Input => ({
  custom_id: id,
  provider: 'openai',
  body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content }] },
  destination: { type: 'sqs', queue_url: 'https://sqs.eu-west-1.amazonaws.com/123456789012/r' },
});

describe('createBatchlaneClient', () => {
  it('sends what is valid, refuses the rest unsent, and folds repeats across windows', async () => {
    const sqs = fakeSqs('1048576');
    const client = createBatchlaneClient({ queueUrl: QUEUE, sqs: sqs.client });
    const requests = [
      ...Array.from({ length: 1200 }, (_, i) => request(`r-${i}`)),
      request('r-3'), // identical to an earlier one, in a later window
      request('r-4', 'different'), // same id, different request
      // No provider id looks like this (a well-formed unknown id may be a deployment's profile).
      { ...request('bad'), provider: 'No Body' } as unknown as RequestV1Input,
    ];

    const report = await client.sendMany(requests);

    expect(report).toMatchObject({ sent: 1201, refused: 2, failed: 0 });
    const bodies = sqs.batches.flat().map((e) => JSON.parse(e.MessageBody).custom_id as string);
    expect(bodies).toHaveLength(1200);
    expect(new Set(bodies).size).toBe(1200);
    expect(report.outcomes[1200]).toEqual({
      ...report.outcomes[3],
      index: 1200,
      duplicate_of: 3,
    });
    expect(report.outcomes[1201]).toMatchObject({ status: 'refused', code: 'conflicting_resend' });
    expect(report.outcomes[1202]).toMatchObject({
      status: 'refused',
      custom_id: 'bad',
      code: 'unknown_provider',
    });
    // The queue's maximum message size is read once.
    expect(sqs.attributeReads).toEqual([['MaximumMessageSize']]);
  });

  it("holds messages to the queue's own maximum size", async () => {
    const sqs = fakeSqs('2048');
    const client = createBatchlaneClient({ queueUrl: QUEUE, sqs: sqs.client });
    const outcome = await client.send(request('big', 'x'.repeat(4000)));
    // No claim-check bucket: too large for this queue, refused before sending.
    expect(outcome).toMatchObject({ status: 'refused', code: 'request_too_large' });
    expect(sqs.batches).toEqual([]);
    expect(await client.send(request('small'))).toMatchObject({ status: 'sent' });
  });

  it('assumes SQS maximum when the queue attributes cannot be read', async () => {
    const sqs = fakeSqs(null);
    const client = createBatchlaneClient({ queueUrl: QUEUE, sqs: sqs.client });
    const outcome = await client.send(request('mid', 'x'.repeat(500_000)));
    expect(outcome).toMatchObject({ status: 'sent', claim_check: null });
  });
});

/** An S3 client that answers every command itself and records the keys put. */
const recordingS3 = () => {
  const keys: string[] = [];
  const client = new S3Client({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  client.middlewareStack.add(
    () => async (args) => {
      const input = args.input as { Key?: string };
      if (input.Key !== undefined) keys.push(input.Key);
      return { output: { $metadata: {}, ETag: '"etag"' }, response: {} };
    },
    { step: 'initialize' },
  );
  return { client, keys };
};

describe('createBatchlaneClient claim checks', () => {
  const big = () => request('big', 'x'.repeat(4000));

  it("puts a producer's claim checks under its own prefix", async () => {
    const s3 = recordingS3();
    const client = createBatchlaneClient({
      queueUrl: QUEUE,
      sqs: fakeSqs('2048').client,
      s3: s3.client,
      claimCheckBucket: 'artifacts',
      producer: 'team-a',
    });
    const outcome = await client.send(big());
    expect(outcome).toMatchObject({ status: 'sent' });
    expect(s3.keys).toHaveLength(1);
    expect(s3.keys[0]).toMatch(/^claims\/team-a\/[0-9a-f]{64}\.json$/);
    expect(outcome.status === 'sent' && outcome.claim_check).toBe(`s3://artifacts/${s3.keys[0]}`);
  });

  it("puts the default producer's directly under the shared claims/, and a given prefix wins", async () => {
    const shared = recordingS3();
    await createBatchlaneClient({
      queueUrl: QUEUE,
      sqs: fakeSqs('2048').client,
      s3: shared.client,
      claimCheckBucket: 'artifacts',
      producer: '',
    }).send(big());
    expect(shared.keys[0]).toMatch(/^claims\/[0-9a-f]{64}\.json$/);

    const explicit = recordingS3();
    await createBatchlaneClient({
      queueUrl: QUEUE,
      sqs: fakeSqs('2048').client,
      s3: explicit.client,
      claimCheckBucket: 'artifacts',
      producer: 'team-a',
      claimCheckPrefix: 'claims/team-a/nightly/',
    }).send(big());
    expect(explicit.keys[0]).toMatch(/^claims\/team-a\/nightly\/[0-9a-f]{64}\.json$/);
  });

  it('refuses a producer that is not one path segment', () => {
    expect(() =>
      createBatchlaneClient({ queueUrl: QUEUE, sqs: fakeSqs('2048').client, producer: '../x' }),
    ).toThrow(RangeError);
  });
});
