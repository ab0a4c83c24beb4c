import {
  DeleteRuleCommand,
  DescribeRuleCommand,
  DisableRuleCommand,
  EnableRuleCommand,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  PutEventsCommand,
  type PutEventsRequestEntry,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
  TestEventPatternCommand,
} from '@aws-sdk/client-eventbridge';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../../shared/adapters/aws/createAwsClients.js';
import { createQueue, drainQueue, emulatorClients, uniqueName } from './awsTestKit.js';

/** What batchlane publishes, in the shapes its events have. */
const events = (bus: string): PutEventsRequestEntry[] =>
  [
    {
      type: 'Request Rejected',
      detail: { n: 1, custom_id: 'eval-1', reason: { code: 'invalid_body' } },
    },
    {
      type: 'Request Rejected',
      detail: { n: 2, custom_id: 'eval-2', reason: { code: 'conflicting_resend' } },
    },
    {
      type: 'Request Rejected',
      detail: { n: 3, custom_id: 'test-3', reason: { code: 'invalid_body' } },
    },
    { type: 'Batch Ended', detail: { n: 4, provider: 'openai', counts: { errored: 3 } } },
    { type: 'Batch Ended', detail: { n: 5, provider: 'anthropic', counts: { errored: 0 } } },
    { type: 'Batch Submitted', detail: { n: 6, provider: 'openai' } },
  ].map(({ type, detail }) => ({
    EventBusName: bus,
    Source: 'batchlane',
    DetailType: type,
    Detail: JSON.stringify(detail),
  }));

const queueArn = async (clients: AwsClients, queueUrl: string): Promise<string> => {
  const { Attributes } = await clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  return Attributes?.['QueueArn'] ?? '';
};

/** Every message on the queue now (deliveries are done once PutEvents has answered). */
const received = async (clients: AwsClients, queueUrl: string): Promise<unknown[]> =>
  (await drainQueue(clients.sqs, queueUrl, 1000)).map((body) => JSON.parse(body) as unknown);

const ns = (list: unknown[]): number[] =>
  list.map((event) => (event as { detail: { n: number } }).detail.n).sort((a, b) => a - b);

describe('local EventBridge rules, through @aws-sdk/client-eventbridge', () => {
  let clients: AwsClients;
  let bus: string;

  beforeAll(() => {
    clients = emulatorClients();
    bus = uniqueName('bus');
  });

  afterAll(() => clients.destroy());

  it('delivers to an SQS target exactly the events the rule pattern selects', async () => {
    const queueUrl = await createQueue(clients, 'rejections');
    const pattern = {
      source: ['batchlane'],
      $or: [
        {
          'detail-type': ['Request Rejected'],
          detail: {
            custom_id: [{ prefix: 'eval-' }],
            reason: { code: [{ 'anything-but': 'conflicting_resend' }] },
          },
        },
        {
          'detail-type': [{ suffix: 'Ended' }],
          detail: { counts: { errored: [{ numeric: ['>', 0] }] } },
        },
      ],
    };
    const { RuleArn } = await clients.eventBridge.send(
      new PutRuleCommand({
        Name: 'trouble',
        EventBusName: bus,
        EventPattern: JSON.stringify(pattern),
      }),
    );
    expect(RuleArn).toBe(`arn:aws:events:us-east-1:000000000000:rule/${bus}/trouble`);
    const put = await clients.eventBridge.send(
      new PutTargetsCommand({
        Rule: 'trouble',
        EventBusName: bus,
        Targets: [{ Id: 'queue', Arn: await queueArn(clients, queueUrl) }],
      }),
    );
    expect(put.FailedEntryCount).toBe(0);

    const sent = await clients.eventBridge.send(new PutEventsCommand({ Entries: events(bus) }));
    expect(sent.FailedEntryCount).toBe(0);
    // The same events on another bus reach no rule of this one.
    await clients.eventBridge.send(new PutEventsCommand({ Entries: events(`${bus}-other`) }));

    const delivered = await received(clients, queueUrl);
    expect(ns(delivered)).toEqual([1, 4]);
    expect(delivered[0]).toMatchObject({
      version: '0',
      source: 'batchlane',
      account: '000000000000',
    });
  });

  it('lists, describes, disables, enables and deletes rules and targets', async () => {
    const queueUrl = await createQueue(clients, 'ended');
    const arn = await queueArn(clients, queueUrl);
    const eb = clients.eventBridge;
    await eb.send(
      new PutRuleCommand({
        Name: 'ended',
        EventBusName: bus,
        Description: 'every ended batch',
        EventPattern: JSON.stringify({ 'detail-type': ['Batch Ended'] }),
      }),
    );
    await eb
      .send(
        new PutTargetsCommand({
          Rule: 'ended',
          EventBusName: bus,
          Targets: [
            { Id: 'whole', Arn: arn },
            { Id: 'detail-only', Arn: arn, InputPath: '$.detail' },
            { Id: 'lambda', Arn: 'arn:aws:lambda:us-east-1:000000000000:function:f' },
          ],
        }),
      )
      .then((answer) => {
        expect(answer.FailedEntryCount).toBe(1);
        expect(answer.FailedEntries?.[0]).toMatchObject({
          TargetId: 'lambda',
          ErrorCode: 'UnsupportedTarget',
        });
      });

    const listed = await eb.send(new ListRulesCommand({ EventBusName: bus, NamePrefix: 'end' }));
    expect(listed.Rules?.map((r) => [r.Name, r.State, r.Description])).toEqual([
      ['ended', 'ENABLED', 'every ended batch'],
    ]);
    const described = await eb.send(new DescribeRuleCommand({ Name: 'ended', EventBusName: bus }));
    expect(JSON.parse(described.EventPattern ?? '')).toEqual({ 'detail-type': ['Batch Ended'] });
    const targets = await eb.send(
      new ListTargetsByRuleCommand({ Rule: 'ended', EventBusName: bus }),
    );
    expect(targets.Targets?.map((t) => [t.Id, t.InputPath])).toEqual([
      ['whole', undefined],
      ['detail-only', '$.detail'],
    ]);

    await eb.send(new PutEventsCommand({ Entries: events(bus) }));
    const both = await received(clients, queueUrl);
    // Two ended batches, each as the whole event and as its detail alone.
    expect(both).toHaveLength(4);
    expect(
      both
        .filter((b) => (b as { n?: number }).n !== undefined)
        .map((b) => (b as { n: number }).n)
        .sort(),
    ).toEqual([4, 5]);

    await eb.send(new DisableRuleCommand({ Name: 'ended', EventBusName: bus }));
    await eb.send(new PutEventsCommand({ Entries: events(bus) }));
    expect(await received(clients, queueUrl)).toEqual([]);
    await eb.send(new EnableRuleCommand({ Name: 'ended', EventBusName: bus }));

    await expect(
      eb.send(new DeleteRuleCommand({ Name: 'ended', EventBusName: bus })),
    ).rejects.toMatchObject({ name: 'ValidationException' });
    await eb.send(
      new RemoveTargetsCommand({ Rule: 'ended', EventBusName: bus, Ids: ['detail-only'] }),
    );
    await eb.send(new PutEventsCommand({ Entries: events(bus) }));
    expect(ns(await received(clients, queueUrl))).toEqual([4, 5]);

    await eb.send(new RemoveTargetsCommand({ Rule: 'ended', EventBusName: bus, Ids: ['whole'] }));
    await eb.send(new DeleteRuleCommand({ Name: 'ended', EventBusName: bus }));
    const after = await eb.send(new ListRulesCommand({ EventBusName: bus, NamePrefix: 'end' }));
    expect(after.Rules).toEqual([]);
    await expect(
      eb.send(new ListTargetsByRuleCommand({ Rule: 'ended', EventBusName: bus })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('refuses a pattern EventBridge refuses, and answers TestEventPattern', async () => {
    await expect(
      clients.eventBridge.send(
        new PutRuleCommand({
          Name: 'bad',
          EventBusName: bus,
          EventPattern: '{"source":"batchlane"}',
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidEventPatternException' });
    const event = JSON.stringify({
      id: '1',
      source: 'batchlane',
      'detail-type': 'Request Rejected',
      account: '000000000000',
      region: 'us-east-1',
      time: '2026-12-06T12:00:00Z',
      resources: [],
      detail: { reason: { code: 'invalid_body' } },
    });
    const yes = await clients.eventBridge.send(
      new TestEventPatternCommand({
        Event: event,
        EventPattern: JSON.stringify({ detail: { reason: { code: [{ wildcard: 'invalid_*' }] } } }),
      }),
    );
    expect(yes.Result).toBe(true);
    const no = await clients.eventBridge.send(
      new TestEventPatternCommand({
        Event: event,
        EventPattern: JSON.stringify({ detail: { reason: { code: [{ exists: false }] } } }),
      }),
    );
    expect(no.Result).toBe(false);
  });
});
