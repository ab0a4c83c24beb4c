import { randomUUID } from 'node:crypto';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  LambdaInvocationError,
  MAX_INVOCATION_PAYLOAD_BYTES,
} from '../../../local/stack/invocationLimits.js';
import { createLocalFunction, type LocalFunction } from '../../../local/stack/localFunction.js';
import { SqsEventSourceMapping } from '../../../local/stack/SqsEventSourceMapping.js';
import type { AwsClients } from '../../../shared/adapters/aws/createAwsClients.js';
import { emulatorClients } from '../aws/awsTestKit.js';
import type { Pong } from './fixtures/limitsHandler.js';

const FIXTURE = new URL('./fixtures/limitsHandler.ts', import.meta.url);

type FixtureEvent =
  | { action: 'ping' | 'allocate' | 'spin' }
  | { action: 'respond'; bytes: number }
  | { action: 'ping'; padding: string };

const clients: AwsClients = emulatorClients();
const stopping: { stop(): Promise<void> }[] = [];

afterEach(async () => {
  await Promise.all(stopping.splice(0).map((s) => s.stop()));
});

afterAll(() => {
  clients.destroy();
});

const fixtureFunction = (
  options: { memoryMb?: number; timeoutMs?: number } = {},
): LocalFunction<FixtureEvent, Pong> => {
  const fn = createLocalFunction<FixtureEvent, Pong>({
    functionName: 'limits-fixture',
    isolation: 'worker',
    worker: { module: FIXTURE, env: { FIXTURE_GREETING: 'hello from the environment' } },
    memoryMb: options.memoryMb ?? 256,
    timeoutMs: options.timeoutMs ?? 30_000,
  });
  stopping.push(fn);
  return fn;
};

/** The error an invocation failed with (fails the test if it succeeded). */
const failureOf = async (invocation: Promise<unknown>): Promise<LambdaInvocationError> => {
  const outcome = await invocation.then(
    () => null,
    (error: unknown) => error,
  );
  if (!(outcome instanceof LambdaInvocationError))
    throw new Error(`expected a LambdaInvocationError, got ${String(outcome)}`);
  return outcome;
};

const waitFor = async (condition: () => boolean, what: string, timeoutMs = 60_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

const createQueue = async (visibilityTimeoutSeconds: number) => {
  const created = await clients.sqs.send(
    new CreateQueueCommand({
      QueueName: `limits-${randomUUID().slice(0, 8)}`,
      Attributes: { VisibilityTimeout: String(visibilityTimeoutSeconds) },
    }),
  );
  const url = created.QueueUrl ?? '';
  const attributes = await clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
  );
  return { url, arn: attributes.Attributes?.['QueueArn'] ?? '' };
};

const queueDepth = async (queueUrl: string): Promise<number> => {
  const attributes = await clients.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(attributes.Attributes?.['ApproximateNumberOfMessages'] ?? 0) +
    Number(attributes.Attributes?.['ApproximateNumberOfMessagesNotVisible'] ?? 0)
  );
};

interface InvokeInfo {
  records: number;
  failed: number;
  error: unknown;
  messageIds?: readonly string[];
}

const fixtureMapping = (
  queue: { url: string; arn: string },
  options: { batchSize: number; batchingWindowMs: number; timeoutMs: number },
) => {
  const invocations: InvokeInfo[] = [];
  const mapping = new SqsEventSourceMapping({
    client: clients.sqs,
    queueUrl: queue.url,
    queueArn: queue.arn,
    functionName: 'limits-fixture-sqs',
    isolation: 'worker',
    worker: { module: FIXTURE, exportName: 'sqsHandler', env: {} },
    memoryMb: 256,
    ...options,
    onInvoke: (info) => invocations.push(info),
  });
  stopping.push(mapping);
  return { mapping, invocations };
};

describe('Local Lambda runner: an execution environment per function, in a worker thread', () => {
  it('loads the module once with the function environment and reuses it warm', async () => {
    const fn = fixtureFunction({ memoryMb: 256 });

    const first = await fn.invoke({ action: 'ping' }, { receiveCount: 1 });
    const second = await fn.invoke({ action: 'ping' }, { receiveCount: 1 });

    expect(first.greeting).toBe('hello from the environment');
    expect(first.memoryLimitInMB).toBe('256');
    expect(second.environmentId).toBe(first.environmentId);
    expect([first.invocation, second.invocation]).toEqual([1, 2]);
    const stats = fn.stats();
    expect(stats).toMatchObject({ isolation: 'worker', invocations: 2, coldStarts: 1 });
    expect(stats.peakHeapUsedBytes).toBeGreaterThan(0);
    expect(stats.heapLimitBytes).toBeGreaterThan(0);
  });

  it('fails an invocation that exhausts its memory as out of memory, and starts a fresh environment for the next', async () => {
    const fn = fixtureFunction({ memoryMb: 128 });
    const before = await fn.invoke({ action: 'ping' }, { receiveCount: 1 });

    const failure = await failureOf(fn.invoke({ action: 'allocate' }, { receiveCount: 1 }));
    const after = await fn.invoke({ action: 'ping' }, { receiveCount: 1 });

    expect(failure.kind).toBe('outOfMemory');
    expect(failure.name).toBe('Runtime.OutOfMemory');
    expect(failure.message).toMatch(/^Runtime exited with error: out of memory/);
    expect(after.environmentId).not.toBe(before.environmentId);
    expect(after.invocation).toBe(1);
    const stats = fn.stats();
    expect(stats.failures.outOfMemory).toBe(1);
    expect(stats.coldStarts).toBe(2);
    // 128 MB leaves the old generation 116 MB; the heap that ran out was at least that full.
    expect(stats.peakHeapUsedBytes).toBeGreaterThanOrEqual(116 * 1024 * 1024);
  });

  it('fails a response over 6 MB, and keeps the environment warm', async () => {
    const fn = fixtureFunction();
    const before = await fn.invoke({ action: 'ping' }, { receiveCount: 1 });

    const failure = await failureOf(
      fn.invoke({ action: 'respond', bytes: 7 * 1024 * 1024 }, { receiveCount: 1 }),
    );
    const after = await fn.invoke({ action: 'ping' }, { receiveCount: 1 });

    expect(failure.kind).toBe('responseTooLarge');
    expect(failure.name).toBe('Function.ResponseSizeTooLarge');
    expect(after.environmentId).toBe(before.environmentId);
    const stats = fn.stats();
    expect(stats.failures.responseTooLarge).toBe(1);
    expect(stats.maxResponseBytes).toBeGreaterThan(MAX_INVOCATION_PAYLOAD_BYTES);
  });

  it('refuses a request over 6 MB before any environment sees it', async () => {
    const fn = fixtureFunction();

    const failure = await failureOf(
      fn.invoke(
        { action: 'ping', padding: 'x'.repeat(MAX_INVOCATION_PAYLOAD_BYTES) },
        {
          receiveCount: 1,
        },
      ),
    );

    expect(failure.kind).toBe('requestTooLarge');
    expect(failure.name).toBe('RequestEntityTooLargeException');
    expect(fn.stats()).toMatchObject({ invocations: 1, coldStarts: 0 });
  });
});

describe('Local Lambda runner: SQS event source mapping', () => {
  it('kills an invocation that runs past its timeout; its records come back and succeed in a fresh environment', async () => {
    const queue = await createQueue(2);
    await clients.sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'spin' }));
    const { mapping, invocations } = fixtureMapping(queue, {
      batchSize: 1,
      batchingWindowMs: 0,
      timeoutMs: 1500,
    });

    mapping.start();
    await waitFor(
      () => invocations.some((i) => i.error === null && i.records === 1),
      'the record to succeed on redelivery',
    );

    const [first] = invocations;
    if (first === undefined) throw new Error('no invocation recorded');
    expect(first.error).toBeInstanceOf(LambdaInvocationError);
    const timedOut = first.error as LambdaInvocationError;
    expect(timedOut.kind).toBe('timeout');
    expect(timedOut.message).toBe('Task timed out after 1.50 seconds');
    const redelivered = invocations.find((i) => i.error === null);
    expect(redelivered?.messageIds).toEqual(first.messageIds);
    expect(await queueDepth(queue.url)).toBe(0);
    const stats = mapping.stats();
    expect(stats.failures.timeout).toBe(1);
    expect(stats.coldStarts).toBe(2);
  });

  it('splits records adding up to more than 6 MB into events under 6 MB, losing none', async () => {
    const queue = await createQueue(30);
    const sent: string[] = [];
    for (let i = 0; i < 10; i += 1) {
      const body = JSON.stringify({ index: i, text: 'x'.repeat(900 * 1024) });
      const result = await clients.sqs.send(
        new SendMessageCommand({ QueueUrl: queue.url, MessageBody: body }),
      );
      sent.push(result.MessageId ?? '');
    }
    const { mapping, invocations } = fixtureMapping(queue, {
      batchSize: 10,
      batchingWindowMs: 3000,
      timeoutMs: 30_000,
    });

    mapping.start();
    const processed = (): string[] =>
      invocations.filter((i) => i.error === null).flatMap((i) => i.messageIds ?? []);
    await waitFor(() => processed().length >= sent.length, 'every record to be processed');

    expect(processed().toSorted()).toEqual(sent.toSorted());
    expect(invocations.filter((i) => i.error === null).length).toBeGreaterThanOrEqual(2);
    expect(invocations.filter((i) => i.error !== null).map((i) => String(i.error))).toEqual([]);
    const stats = mapping.stats();
    expect(stats.maxRequestBytes).toBeLessThanOrEqual(MAX_INVOCATION_PAYLOAD_BYTES);
    expect(stats.maxRequestBytes).toBeGreaterThan(5 * 900 * 1024);
    expect(stats.failures.requestTooLarge).toBe(0);
    expect(stats.eventsCappedByPayload).toBeGreaterThanOrEqual(1);
    expect(await queueDepth(queue.url)).toBe(0);
  });
});
