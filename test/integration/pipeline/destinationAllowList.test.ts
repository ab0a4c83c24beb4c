import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../../shared/config/BatchlaneConfig.js';
import { parseQueueUrl } from '../../../shared/domain/destinationPolicy.js';
import { anthropicRequest } from '../../support/requests.js';
import { type Pipeline, startPipeline } from './pipelineHarness.js';

/**
 * A deployment that lists its destinations: the local stack's results queue by exact ARN and
 * one prefix of its results bucket. Everything else is refused at intake, before a provider
 * sees it, and no call ever goes to a host a message names.
 */
const RESULTS_QUEUE_ARN = 'arn:aws:sqs:us-east-1:000000000000:batchlane-demo-results';
const ALLOW_LIST = `sqs:${RESULTS_QUEUE_ARN},s3:batchlane-demo-results/allowed/`;

let pipeline: Pipeline;
let attacker: Server;
let attackerHits = 0;

beforeAll(async () => {
  attacker = createServer((_req, res) => {
    attackerHits += 1;
    res.writeHead(200).end('{}');
  });
  await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
  pipeline = await startPipeline({
    collectorBatchSize: 50,
    collectorBatchingWindowMs: 1500,
    environment: { [ENV.destinationAllowList]: ALLOW_LIST },
  });
});

afterAll(async () => {
  await pipeline?.stop();
  await new Promise<void>((resolve) => attacker?.close(() => resolve()));
});

describe('Pipeline: a destination allow-list', () => {
  it('delivers to what it names, refuses everything else at intake and never calls a host from a message', async () => {
    // Prepare
    const { destinations, stack } = pipeline;
    expect(parseQueueUrl(stack.resultsQueueUrl)?.arn).toBe(RESULTS_QUEUE_ARN);
    const port = (attacker.address() as AddressInfo).port;
    const allowed = [
      ...Array.from({ length: 4 }, (_, i) => anthropicRequest(`ok-sqs-${i}`, destinations.sqs)),
      anthropicRequest('ok-s3-1', { ...destinations.s3, prefix: 'allowed/run-1/' }),
    ];
    const refused: [object, string, string][] = [
      [
        anthropicRequest('fb-longer-name', {
          type: 'sqs',
          queue_url: `${stack.resultsQueueUrl}-x`,
        }),
        'fb-longer-name',
        'destination_forbidden',
      ],
      [
        anthropicRequest('fb-s3-prefix', { ...destinations.s3, prefix: 'other/' }),
        'fb-s3-prefix',
        'destination_forbidden',
      ],
      [anthropicRequest('fb-bus', destinations.eventbridge), 'fb-bus', 'destination_forbidden'],
      [anthropicRequest('fb-hook', destinations.webhook), 'fb-hook', 'destination_forbidden'],
      [
        anthropicRequest('fb-region', {
          type: 'sqs',
          queue_url: stack.resultsQueueUrl.replace('us-east-1', 'eu-west-1'),
        }),
        'fb-region',
        'destination_forbidden',
      ],
      [
        anthropicRequest('fb-host', {
          type: 'sqs',
          queue_url: `http://127.0.0.1:${port}/000000000000/batchlane-demo-results`,
        }),
        'fb-host',
        'invalid_destination',
      ],
    ];
    const messages: object[] = [];
    for (let i = 0; i < Math.max(allowed.length, refused.length); i += 1) {
      const a = allowed[i];
      const r = refused[i];
      if (a !== undefined) messages.push(a);
      if (r !== undefined) messages.push(r[0]);
    }

    // Act
    await pipeline.send(messages);
    await pipeline.waitForResults(
      allowed.map((a) => a.custom_id),
      90_000,
    );
    const deadline = Date.now() + 30_000;
    while (pipeline.events('Request Rejected').length < refused.length) {
      if (Date.now() > deadline) throw new Error('timed out waiting for the rejections');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }

    // Assess: the allowed ones arrive once each.
    for (const { custom_id } of allowed) {
      expect(
        pipeline.resultsFor(custom_id).map((r) => r.status),
        custom_id,
      ).toEqual(['succeeded']);
    }
    // Each refused one: its code, no result anywhere (its destination is the only one it
    // named), and it never reached a provider batch.
    for (const [, id, code] of refused) {
      const events = pipeline.events('Request Rejected').filter((e) => e['custom_id'] === id);
      expect(
        events.map((e) => (e['reason'] as { code: string }).code),
        id,
      ).toEqual([code]);
      expect(events[0]?.['result_delivered'], id).toBe(false);
      expect(pipeline.resultsFor(id), id).toEqual([]);
    }
    const submitted = pipeline
      .events('Batch Submitted')
      .reduce((sum, e) => sum + Number(e['request_count']), 0);
    expect(submitted).toBe(allowed.length);
    expect(pipeline.webhook.received).toEqual([]);
    expect(attackerHits).toBe(0);
    expect(await pipeline.queueDepth(stack.intakeDlqUrl)).toBe(0);
  });
});
