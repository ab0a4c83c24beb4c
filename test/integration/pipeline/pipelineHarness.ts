import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { Webhook } from 'standardwebhooks';
import { expect } from 'vitest';
import { sendRequests } from '../../../cli/sendRequests.js';
import { ResultCollector } from '../../../local/stack/ResultCollector.js';
import { type LocalStackOptions, startLocalStack } from '../../../local/stack/startLocalStack.js';
import { createAwsClients } from '../../../shared/adapters/aws/createAwsClients.js';
import { ENV } from '../../../shared/config/BatchlaneConfig.js';
import type { ResultV1 } from '../../../shared/contract/result.js';
import { ungrantedCalls } from '../../support/grants/checkGrants.js';
import { recordingFor } from '../../support/grants/recordings.js';

type Stack = Awaited<ReturnType<typeof startLocalStack>>;

/**
 * A local HTTP endpoint that records webhook deliveries and verifies them as a receiver
 * would, with the `standardwebhooks` package.
 */
const startWebhookReceiver = async (secret: string) => {
  const verifier = new Webhook(secret);
  const received: { results: ResultV1[]; signatureValid: boolean }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let signatureValid = true;
      try {
        verifier.verify(body, req.headers as Record<string, string>);
      } catch {
        signatureValid = false;
      }
      const parsed = JSON.parse(body) as { results: ResultV1[] };
      received.push({ results: parsed.results, signatureValid });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/results`,
    received,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
};

/**
 * Drives the whole pipeline in one test file: the local stack (emulators, simulator, the
 * deployed handlers under a local event source mapping and schedule), a way to send intake
 * messages, and a reader of everything that reached the destinations.
 */
const startPipeline = async (options: LocalStackOptions = {}) => {
  const stack: Stack = await startLocalStack({
    processingMs: 300,
    pollIntervalMs: 250,
    collectorBatchingWindowMs: 300,
    visibilityTimeoutSeconds: 5,
    realProvidersFromEnv: false,
    recordAwsCalls: recordingFor(expect.getState().testPath),
    ...options,
  });
  const aws = createAwsClients(stack.env);
  const webhook = await startWebhookReceiver(stack.webhookSecret);
  const collector = ResultCollector.ofStack(stack, aws);

  const resultsFor = (id: string): ResultV1[] => [
    ...(collector.byId.get(id) ?? []).map((c) => c.result),
    ...webhook.received.flatMap((w) => w.results.filter((r) => r.custom_id === id)),
  ];

  const destinations = {
    sqs: { type: 'sqs', queue_url: stack.resultsQueueUrl },
    s3: { type: 's3', bucket: stack.resultsBucket, prefix: 'test/' },
    eventbridge: { type: 'eventbridge', event_bus_name: stack.resultsEventBusName },
    webhook: { type: 'webhook', url: webhook.url },
  } as const;

  return {
    stack,
    aws,
    webhook,
    destinations,
    send: (messages: readonly (string | object)[]) =>
      sendRequests(
        aws.sqs,
        stack.intakeQueueUrl,
        messages.map((m) => (typeof m === 'string' ? m : JSON.stringify(m))),
      ),
    resultsFor,
    /** Waits until every id has at least one result, then a little longer to catch duplicates. */
    waitForResults: async (ids: readonly string[], timeoutMs = 60_000): Promise<void> => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        await collector.collect();
        const missing = ids.filter((id) => resultsFor(id).length === 0);
        if (missing.length === 0) break;
        if (Date.now() > deadline) {
          throw new Error(
            `no result after ${timeoutMs} ms for ${missing.length} ids, e.g. ${missing.slice(0, 5).join(', ')}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await collector.collect();
    },
    events: (detailType: string) =>
      stack.emulators.eventBridge
        .events()
        .filter((e) => e['detail-type'] === detailType)
        .map((e) => e.detail as Record<string, unknown>),
    queueDepth: async (queueUrl: string): Promise<number> => {
      const attrs = await aws.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: queueUrl,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      return (
        Number(attrs.Attributes?.['ApproximateNumberOfMessages'] ?? 0) +
        Number(attrs.Attributes?.['ApproximateNumberOfMessagesNotVisible'] ?? 0)
      );
    },
    /**
     * Stops everything, then fails if any function made an AWS call its deployed role would
     * refuse (AccessDenied in AWS; the emulators do not enforce IAM).
     */
    stop: async () => {
      await webhook.stop();
      await stack.stop();
      const ungranted = ungrantedCalls(stack.awsCalls());
      if (ungranted.length > 0) {
        throw new Error(`AWS calls without a grant:\n${ungranted.join('\n')}`);
      }
    },
  };
};

type Pipeline = Awaited<ReturnType<typeof startPipeline>>;

/**
 * The lane policy on a compressed clock: a provider "window" of `windowSeconds` plus a 5 s
 * margin, members escalated `escalateBeforeSeconds` before their deadline, batches that take
 * `processingMs` at the simulator.
 */
const compressedLanes = (clock: {
  readonly windowSeconds: number;
  readonly escalateBeforeSeconds: number;
  readonly processingMs: number;
}): LocalStackOptions => ({
  processingMs: clock.processingMs,
  environment: {
    [ENV.autoBatchWindowSeconds]: String(clock.windowSeconds),
    [ENV.autoMarginSeconds]: '5',
    [ENV.escalateBeforeDeadlineSeconds]: String(clock.escalateBeforeSeconds),
  },
});

/** The time `seconds` from now (ISO), for deadlines. */
const inSeconds = (seconds: number): string => new Date(Date.now() + seconds * 1000).toISOString();

export { compressedLanes, inSeconds, type Pipeline, startPipeline };
