import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../../shared/adapters/aws/createAwsClients.js';
import { SqsResultSender } from '../../../shared/adapters/aws/SqsResultSender.js';
import type { ResultV1 } from '../../../shared/contract/result.js';
import type { BlobStore } from '../../../shared/ports/BlobStore.js';

const result = { custom_id: 'a', status: 'succeeded' } as ResultV1;
const noOverflow = {} as BlobStore;

/**
 * The real SDK client as the handlers build it, with a middleware that records where each
 * request would go and what QueueUrl it carries, then stops it before the network.
 */
const recordingClient = (env: Record<string, string>) => {
  const aws = createAwsClients({
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'secret',
    ...env,
  });
  const seen: { host: string; protocol: string; queueUrl: unknown }[] = [];
  aws.sqs.middlewareStack.add(
    () => async (args) => {
      const request = args.request as {
        hostname: string;
        protocol: string;
        port?: number;
        body: string | Uint8Array;
      };
      seen.push({
        host: `${request.hostname}${request.port === undefined ? '' : `:${request.port}`}`,
        protocol: request.protocol,
        queueUrl: (
          JSON.parse(
            typeof request.body === 'string' ? request.body : Buffer.from(request.body).toString(),
          ) as { QueueUrl?: unknown }
        ).QueueUrl,
      });
      throw Object.assign(new Error('stopped before the network'), { name: 'InternalError' });
    },
    { step: 'finalizeRequest', name: 'recordDestinationHost' },
  );
  return { aws, seen };
};

/** The SDK reads endpoint variables from the process too; these tests must see none. */
const ENDPOINT_VARS = ['AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_SQS'] as const;
const saved = new Map<string, string | undefined>();
beforeAll(() => {
  for (const name of ENDPOINT_VARS) {
    saved.set(name, process.env[name]);
    delete process.env[name];
  }
});
afterAll(() => {
  for (const [name, value] of saved) {
    if (value !== undefined) process.env[name] = value;
  }
});

describe('Class: SqsResultSender, where its calls go', () => {
  it("sends to the region's SQS endpoint, never to the host a queue URL names", async () => {
    const { aws, seen } = recordingClient({});
    const sender = new SqsResultSender({ client: aws.sqs, overflow: noOverflow });

    await sender.deliver(
      { type: 'sqs', queue_url: 'http://sqs.us-east-1.localhost:9999/123456789012/results' },
      [result],
      { batchId: 'b', part: '1' },
    );
    aws.destroy();

    expect(seen).toEqual([
      {
        host: 'sqs.us-east-1.amazonaws.com',
        protocol: 'https:',
        queueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/results',
      },
    ]);
  });

  it("sends to the configured emulator endpoint when there is one, keeping the emulator's URL", async () => {
    const { aws, seen } = recordingClient({ AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:4566' });
    // No option given: a client with an endpoint of its own keeps the emulator's URL.
    const sender = new SqsResultSender({ client: aws.sqs, overflow: noOverflow });
    const queueUrl = 'http://sqs.us-east-1.localhost:9999/000000000000/results';

    await sender.deliver({ type: 'sqs', queue_url: queueUrl }, [result], {
      batchId: 'b',
      part: '1',
    });
    aws.destroy();

    expect(seen).toEqual([{ host: '127.0.0.1:4566', protocol: 'http:', queueUrl }]);
  });

  it('builds SQS clients that never follow the host of a QueueUrl they are given', async () => {
    const { aws, seen } = recordingClient({});
    await aws.sqs
      .send(
        new SendMessageCommand({
          QueueUrl: 'https://attacker.example/123456789012/results',
          MessageBody: 'x',
        }),
      )
      .catch(() => undefined);
    aws.destroy();
    expect(seen.map((s) => s.host)).toEqual(['sqs.us-east-1.amazonaws.com']);
  });

  it('refuses a queue URL it cannot parse without calling SQS', async () => {
    const { aws, seen } = recordingClient({});
    const sender = new SqsResultSender({ client: aws.sqs, overflow: noOverflow });

    const report = await sender.deliver(
      { type: 'sqs', queue_url: 'https://attacker.example/123456789012/results' },
      [result],
      { batchId: 'b', part: '1' },
    );
    aws.destroy();

    expect(seen).toEqual([]);
    expect(report.failed.map((f) => [f.customId, f.error.code, f.error.retryable])).toEqual([
      ['a', 'invalid_destination', false],
    ]);
  });
});
