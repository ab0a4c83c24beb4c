import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSubmit } from '../../../cli/runSubmit.js';
import type { AwsClients } from '../../../shared/adapters/aws/createAwsClients.js';
import { createQueue, emulatorClients } from '../aws/awsTestKit.js';

/** Every body on the queue now. */
const bodies = async (clients: AwsClients, queueUrl: string): Promise<string[]> => {
  const all: string[] = [];
  for (;;) {
    const { Messages = [] } = await clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
      }),
    );
    if (Messages.length === 0) return all;
    all.push(...Messages.map((m) => m.Body ?? ''));
  }
};

describe('batchlane submit', () => {
  let clients: AwsClients;
  let dir: string;

  beforeAll(() => {
    clients = emulatorClients();
    dir = mkdtempSync(join(tmpdir(), 'batchlane-submit-'));
  });

  afterAll(() => {
    clients.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends each line, says what went where and what SQS refused, and fills the same deadlines on a second run', async () => {
    const queueUrl = await createQueue(clients, 'intake');
    const file = join(dir, `requests-${Date.now()}.jsonl`);
    const request = (n: number, destination: object) =>
      JSON.stringify({
        custom_id: `submit-${n}`,
        provider: 'openai',
        tier: 'auto',
        deadline: '{{deadline_soon}}',
        body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: `n=${n}` }] },
        destination,
      });
    const lines = [
      ...Array.from({ length: 23 }, (_, n) =>
        request(n, { type: 'sqs', queue_url: 'https://sqs.eu-west-1.amazonaws.com/1/results' }),
      ),
      request(23, { type: 's3', bucket: 'results', prefix: 'runs/' }),
      // Over SQS's 1 MiB message limit: refused at send, alone.
      JSON.stringify({ custom_id: 'too-big', padding: 'x'.repeat(1_100_000) }),
    ];
    writeFileSync(file, `${lines.join('\n')}\n`);

    const first: string[] = [];
    const terminal: string[] = [];
    const code = await runSubmit([file, '--queue-url', queueUrl], (l) => first.push(l), {
      isTTY: true,
      write: (chunk: string) => terminal.push(chunk),
    });
    expect(code).toBe(1);
    // Progress on the terminal, ending on the full count, then cleared for the summary.
    expect(terminal.at(-2)).toMatch(/sending .*: 25 of 25 \(100%\)$/);
    expect(terminal.at(-1)).toBe('\r\u001b[2K');
    expect(first.slice(0, 5)).toEqual([
      `sent 24 of 25 request messages from ${file} to ${queueUrl}`,
      '  by destination:',
      '        23  sqs https://sqs.eu-west-1.amazonaws.com/1/results',
      '         1  s3 s3://results/runs/',
      '  refused at send: 1',
    ]);
    expect(first[5]).toMatch(/^ {4}line 25: \S+/);
    const sentFirst = await bodies(clients, queueUrl);
    expect(sentFirst).toHaveLength(24);

    const second: string[] = [];
    const pipe: string[] = [];
    await runSubmit([file, '--queue-url', queueUrl], (l) => second.push(l), {
      isTTY: false,
      write: (chunk: string) => pipe.push(chunk),
    });
    expect(pipe).toEqual([]);
    expect(second.join('\n')).toMatch(
      /deadlines: the ones filled in at \S+ \(an identical resend is folded/,
    );
    const sentSecond = await bodies(clients, queueUrl);
    // Byte for byte the same messages: batchlane folds them instead of refusing them.
    expect([...sentSecond].sort()).toEqual([...sentFirst].sort());
    const deadline = (JSON.parse(sentFirst[0] ?? '{}') as { deadline: string }).deadline;
    expect(Date.parse(deadline) - Date.now()).toBeGreaterThan(3_600_000);
  });
});
