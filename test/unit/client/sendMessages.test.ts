import type { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { sendMessages } from '../../../client/sendMessages.js';

type Entries = { Id: string; MessageBody: string }[];
type Answer = (entries: Entries, call: number) => unknown;

/** An SQS client whose SendMessageBatch answers as `answer` says, recording every call. */
const fakeSqs = (answer: Answer) => {
  const calls: Entries[] = [];
  const client = {
    send: async (command: SendMessageBatchCommand) => {
      const entries = command.input.Entries as Entries;
      calls.push(entries);
      return answer(entries, calls.length);
    },
  } as unknown as SQSClient;
  return { client, calls };
};

const allSent = (entries: Entries) => ({
  Successful: entries.map((e) => ({ Id: e.Id, MessageId: `m-${e.Id}` })),
  Failed: [],
});
const noWait = async () => undefined;

describe('sendMessages', () => {
  it('sends every body once, ten to a call, and reports each message id in order', async () => {
    const { client, calls } = fakeSqs(allSent);
    const bodies = Array.from({ length: 23 }, (_, i) => `{"n":${i}}`);
    const outcomes = await sendMessages(bodies, { sqs: client, queueUrl: 'q', sleep: noWait });
    expect(calls.map((c) => c.length).sort()).toEqual([10, 10, 3].sort());
    expect(
      calls
        .flat()
        .map((e) => e.MessageBody)
        .sort(),
    ).toEqual([...bodies].sort());
    expect(outcomes.map((o) => (o.sent ? o.messageId : null))).toEqual(
      bodies.map((_, i) => `m-${i}`),
    );
  });

  it('retries only the entries SQS failed on its side, with backoff, until they are sent', async () => {
    const delays: number[] = [];
    const { client, calls } = fakeSqs((entries, call) =>
      call <= 2
        ? {
            Successful: entries.slice(1).map((e) => ({ Id: e.Id, MessageId: `m-${e.Id}` })),
            Failed: [{ Id: entries[0]?.Id, SenderFault: false, Code: 'InternalError' }],
          }
        : allSent(entries),
    );
    const outcomes = await sendMessages(['a', 'b', 'c'], {
      sqs: client,
      queueUrl: 'q',
      backoff: { baseMs: 100, maxMs: 1000, jitter: 0 },
      sleep: async (ms) => {
        delays.push(ms);
      },
    });
    expect(calls.map((c) => c.map((e) => e.MessageBody))).toEqual([['a', 'b', 'c'], ['a'], ['a']]);
    expect(delays).toEqual([100, 200]);
    expect(outcomes.every((o) => o.sent)).toBe(true);
  });

  it("does not retry an entry refused as the sender's fault, and gives up on the others after the retries", async () => {
    const { client, calls } = fakeSqs((entries) => ({
      Successful: [],
      Failed: entries.map((e) =>
        e.MessageBody === 'bad'
          ? { Id: e.Id, SenderFault: true, Code: 'InvalidMessageContents', Message: 'nope' }
          : { Id: e.Id, SenderFault: false, Code: 'ServiceUnavailable' },
      ),
    }));
    const outcomes = await sendMessages(['bad', 'unlucky'], {
      sqs: client,
      queueUrl: 'q',
      retries: 2,
      sleep: noWait,
    });
    expect(calls.map((c) => c.map((e) => e.MessageBody))).toEqual([
      ['bad', 'unlucky'],
      ['unlucky'],
      ['unlucky'],
    ]);
    expect(outcomes).toEqual([
      { index: 0, sent: false, code: 'InvalidMessageContents', message: 'nope', retryable: false },
      { index: 1, sent: false, code: 'ServiceUnavailable', message: '', retryable: true },
    ]);
  });

  it('retries a throttled call whole, and reports a refused call against each of its entries', async () => {
    const throttled = Object.assign(new Error('slow down'), {
      name: 'RequestThrottled',
      $metadata: { httpStatusCode: 400 },
    });
    const denied = Object.assign(new Error('not yours'), {
      name: 'AccessDenied',
      $fault: 'client',
      $metadata: { httpStatusCode: 403 },
    });
    const { client } = fakeSqs((entries, call) => {
      if (call === 1) throw throttled;
      if (entries.some((e) => e.MessageBody === 'x')) throw denied;
      return allSent(entries);
    });
    const ok = await sendMessages(['a'], { sqs: client, queueUrl: 'q', sleep: noWait });
    expect(ok).toEqual([{ index: 0, sent: true, messageId: 'm-0' }]);
    const refused = await sendMessages(['x', 'y'], { sqs: client, queueUrl: 'q', sleep: noWait });
    expect(refused.map((o) => (o.sent ? 'sent' : `${o.code} ${o.retryable}`))).toEqual([
      'AccessDenied false',
      'AccessDenied false',
    ]);
  });

  it('does not send a body over the queue maximum, and sends its neighbours', async () => {
    const { client, calls } = fakeSqs(allSent);
    const outcomes = await sendMessages(['small', 'x'.repeat(2000), 'also small'], {
      sqs: client,
      queueUrl: 'q',
      maxMessageBytes: 1024,
      sleep: noWait,
    });
    expect(calls.flat().map((e) => e.MessageBody)).toEqual(['small', 'also small']);
    expect(outcomes[1]).toMatchObject({ sent: false, code: 'MessageTooLong', retryable: false });
    expect(outcomes[0]?.sent && outcomes[2]?.sent).toBe(true);
  });
});
