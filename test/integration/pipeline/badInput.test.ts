import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime } from '../../../shared/composition/createRuntime.js';
import { ENV } from '../../../shared/config/BatchlaneConfig.js';
import { UnavailableError } from '../../../shared/domain/errors.js';
import { createCollector } from '../../../shared/usecases/createCollector.js';
import { type Pipeline, startPipeline } from './pipelineHarness.js';

/**
 * Bad input through the whole pipeline: every refusal carries its own code, good requests
 * sent in the same SQS batches are delivered exactly once, and nothing reaches the DLQ.
 *
 * The deployment's per-batch byte cap is lowered to 64 KiB for this file, so "a body over
 * what a batch can take" is an object of tens of kilobytes rather than 256 MB.
 */
const MAX_BYTES_PER_BATCH = 64 * 1024;
/** Where producers put claim-checked bodies: the artifacts bucket of the local stack, under claims/. */
const CLAIMS_BUCKET = 'batchlane-artifacts';
/** A bucket of the producer's own choosing: readable by the stack's credentials, yet never read. */
const OTHER_BUCKET = 'producer-claim-checks';

let pipeline: Pipeline;
const previousCap = process.env[ENV.maxBytesPerBatch];

beforeAll(async () => {
  // Read by the handlers' configuration when the local stack imports them.
  process.env[ENV.maxBytesPerBatch] = String(MAX_BYTES_PER_BATCH);
  pipeline = await startPipeline({ collectorBatchSize: 100, collectorBatchingWindowMs: 1500 });
  await pipeline.aws.s3.send(new CreateBucketCommand({ Bucket: OTHER_BUCKET }));
});

afterAll(async () => {
  await pipeline?.stop();
  if (previousCap === undefined) delete process.env[ENV.maxBytesPerBatch];
  else process.env[ENV.maxBytesPerBatch] = previousCap;
});

const anthropicBody = (content = 'hello', model = 'claude-haiku-4-5') => ({
  model,
  max_tokens: 32,
  messages: [{ role: 'user', content }],
});

const good = (id: string, destination: object, content = 'hello') => ({
  custom_id: id,
  provider: 'anthropic',
  body: anthropicBody(content),
  destination,
});

const rejectionsFor = (id: string | null): string[] =>
  pipeline
    .events('Request Rejected')
    .filter((d) => d['custom_id'] === id)
    .map((d) => (d['reason'] as { code: string }).code);

const waitFor = async (condition: () => boolean, what: string, timeoutMs = 30_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
};

const putObject = (key: string, body: string) =>
  pipeline.aws.s3.send(new PutObjectCommand({ Bucket: CLAIMS_BUCKET, Key: key, Body: body }));

const claimUri = (key: string) => `s3://${CLAIMS_BUCKET}/${key}`;

describe('Pipeline: bad input, interleaved with good requests', () => {
  it('refuses each bad message with its own code, delivers every good one exactly once and leaves the DLQ empty', async () => {
    // Prepare: claim-check objects, then good and bad messages interleaved.
    const { sqs, s3, eventbridge, webhook } = pipeline.destinations;
    await putObject('claims/good.json', JSON.stringify(anthropicBody('by claim check')));
    await putObject('claims/fold.json', JSON.stringify(anthropicBody('same either way')));
    await putObject('claims/not-json.txt', 'this is not { JSON');
    // Good bodies outside the claim-check location: read by nobody.
    await putObject('outside/good.json', JSON.stringify(anthropicBody('not from claims/')));
    await pipeline.aws.s3.send(
      new PutObjectCommand({
        Bucket: OTHER_BUCKET,
        Key: 'claims/good.json',
        Body: JSON.stringify(anthropicBody('from a bucket of my choosing')),
      }),
    );
    await putObject(
      'claims/too-big.json',
      JSON.stringify(anthropicBody('x'.repeat(MAX_BYTES_PER_BATCH + 1024))),
    );

    const goodOnes = [
      good('good-sqs-1', sqs),
      good('good-s3-1', s3),
      good('good-eb-1', eventbridge),
      // The local stack allows private webhooks, and the receiver listens on 127.0.0.1.
      good('good-webhook-1', webhook),
      good('good-sqs-2', sqs, 'second'),
      good('good-s3-2', s3, 'second'),
      {
        custom_id: 'good-openai-1',
        provider: 'openai',
        body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] },
        destination: sqs,
      },
      {
        custom_id: 'good-claim-1',
        provider: 'anthropic',
        body_s3_uri: claimUri('claims/good.json'),
        destination: sqs,
      },
    ];
    // The same request inline and by claim check: one body, so one request.
    const foldInline = good('fold-1', sqs, 'same either way');
    const foldClaimed = {
      custom_id: 'fold-1',
      provider: 'anthropic',
      body_s3_uri: claimUri('claims/fold.json'),
      destination: sqs,
    };
    // Only the provider knows its models: this one passes intake and errors per request.
    const unknownModel = {
      ...good('unknown-model-1', sqs),
      body: anthropicBody('hi', 'mystery-model-9000'),
    };

    const base = (id: string) => good(id, sqs);
    /** [message, custom_id the event carries, code, whether a rejected result is delivered] */
    const bad: [string | object, string | null, string, boolean][] = [
      ['{"custom_id": "trunc-1", "provider": ', null, 'malformed_json', false],
      ['[{"custom_id": "array-1"}]', null, 'not_an_object', false],
      [{ ...base('x'), custom_id: 42 }, null, 'invalid_custom_id', false],
      [{ ...base('x'), custom_id: 'y'.repeat(65) }, null, 'invalid_custom_id', false],
      [{ ...base('x'), custom_id: 'has space' }, null, 'invalid_custom_id', false],
      [{ ...base('prov-num'), provider: 7 }, 'prov-num', 'unknown_provider', true],
      [{ ...base('prov-name'), provider: 'mistral' }, 'prov-name', 'unknown_provider', true],
      [
        { ...base('ep-unknown'), endpoint: '/v1/images' },
        'ep-unknown',
        'unsupported_endpoint',
        true,
      ],
      [
        { ...base('ep-other'), endpoint: '/v1/embeddings' },
        'ep-other',
        'unsupported_endpoint',
        true,
      ],
      [{ ...base('body-str'), body: 'hello' }, 'body-str', 'invalid_body', true],
      [
        { ...base('body-maxtok'), body: { ...anthropicBody(), max_tokens: '32' } },
        'body-maxtok',
        'invalid_body',
        true,
      ],
      [
        { ...base('body-msgs'), body: { ...anthropicBody(), messages: 'hi' } },
        'body-msgs',
        'invalid_body',
        true,
      ],
      [
        { ...base('stream-1'), body: { ...anthropicBody(), stream: true } },
        'stream-1',
        'stream_not_supported',
        true,
      ],
      [{ ...base('tier-num'), tier: 42 }, 'tier-num', 'unsupported_tier', true],
      [{ ...base('deadline-bad'), deadline: 'tomorrow' }, 'deadline-bad', 'invalid_deadline', true],
      [
        { ...base('deadline-past'), deadline: '2020-01-01T00:00:00Z' },
        'deadline-past',
        'deadline_passed',
        true,
      ],
      [{ ...base('typo-1'), prompt: 'hi' }, 'typo-1', 'unknown_field', true],
      [
        { ...base('dest-sqs'), destination: { type: 'sqs' } },
        'dest-sqs',
        'invalid_destination',
        false,
      ],
      [
        { ...base('dest-s3'), destination: { type: 's3', bucket: 'Bad_Bucket' } },
        'dest-s3',
        'invalid_destination',
        false,
      ],
      [
        { ...base('dest-eb'), destination: { type: 'eventbridge', event_bus_name: '' } },
        'dest-eb',
        'invalid_destination',
        false,
      ],
      [
        { ...base('dest-file'), destination: { type: 'webhook', url: 'file:///etc/passwd' } },
        'dest-file',
        'invalid_destination',
        false,
      ],
      [
        { ...base('dest-ftp'), destination: { type: 'webhook', url: 'ftp://files.example.com/' } },
        'dest-ftp',
        'invalid_destination',
        false,
      ],
      [
        { ...base('dest-type'), destination: { type: 'email', to: 'a@example.com' } },
        'dest-type',
        'invalid_destination',
        false,
      ],
      [{ ...base('no-dest'), destination: undefined }, 'no-dest', 'missing_destination', false],
      [
        { ...base('both-1'), body_s3_uri: claimUri('claims/good.json') },
        'both-1',
        'ambiguous_body',
        true,
      ],
      [{ ...base('neither-1'), body: undefined }, 'neither-1', 'missing_body', true],
      [
        { ...base('cc-missing'), body: undefined, body_s3_uri: claimUri('claims/nothing-here') },
        'cc-missing',
        'claim_check_missing',
        true,
      ],
      [
        {
          ...base('cc-no-bucket'),
          body: undefined,
          body_s3_uri: 's3://no-such-bucket-for-claims/k.json',
        },
        'cc-no-bucket',
        'claim_check_missing',
        true,
      ],
      [
        {
          ...base('cc-not-yours'),
          body: undefined,
          body_s3_uri: `s3://${OTHER_BUCKET}/claims/good.json`,
        },
        'cc-not-yours',
        'claim_check_missing',
        true,
      ],
      [
        { ...base('cc-outside'), body: undefined, body_s3_uri: claimUri('outside/good.json') },
        'cc-outside',
        'claim_check_missing',
        true,
      ],
      [
        { ...base('cc-not-json'), body: undefined, body_s3_uri: claimUri('claims/not-json.txt') },
        'cc-not-json',
        'claim_check_invalid',
        true,
      ],
      [
        { ...base('cc-bad-uri'), body: undefined, body_s3_uri: 'https://example.com/body.json' },
        'cc-bad-uri',
        'claim_check_invalid',
        true,
      ],
      [
        { ...base('cc-too-big'), body: undefined, body_s3_uri: claimUri('claims/too-big.json') },
        'cc-too-big',
        'request_too_large',
        true,
      ],
    ];
    const conflictFirst = good('dup-diff-1', sqs, 'first body');
    const conflictSecond = good('dup-diff-1', sqs, 'second body');

    const extras = [foldInline, unknownModel, foldClaimed, conflictFirst, conflictSecond];
    const goods: object[] = [...goodOnes, ...extras];
    const messages: (string | object)[] = [];
    for (let i = 0; i < Math.max(goods.length, bad.length); i += 1) {
      const g = goods[i];
      const b = bad[i];
      if (g !== undefined) messages.push(g);
      if (b !== undefined) messages.push(b[0]);
    }

    // Act
    await pipeline.send(messages);
    const withResults = [
      ...goodOnes.map((g) => g.custom_id),
      'fold-1',
      'unknown-model-1',
      'dup-diff-1',
      ...bad.filter(([, , , delivered]) => delivered).map(([, id]) => id ?? ''),
    ];
    await pipeline.waitForResults(withResults, 90_000);
    const expectedEvents = bad.length + 1; // each bad message, and the conflicting resend
    await waitFor(
      () => pipeline.events('Request Rejected').length >= expectedEvents,
      `${expectedEvents} Request Rejected events`,
    );

    // Assess: each good request exactly once, succeeded.
    for (const id of [...goodOnes.map((g) => g.custom_id), 'fold-1']) {
      expect(
        pipeline.resultsFor(id).map((r) => r.status),
        id,
      ).toEqual(['succeeded']);
    }
    expect(rejectionsFor('fold-1')).toEqual([]);
    expect(pipeline.webhook.received.every((w) => w.signatureValid)).toBe(true);

    // Each bad message: its own code, and a rejected result where id and destination are readable.
    for (const [, id, code, delivered] of bad) {
      if (id === null) continue;
      expect(rejectionsFor(id), id).toEqual([code]);
      const results = pipeline.resultsFor(id);
      if (delivered) {
        expect(
          results.map((r) => [r.status, r.error?.type]),
          id,
        ).toEqual([['rejected', code]]);
      } else {
        expect(results, id).toEqual([]);
      }
    }
    // "Not there" and "not yours" read the same: nothing about other objects is told.
    const claimMessages = ['cc-missing', 'cc-no-bucket', 'cc-not-yours', 'cc-outside'].map(
      (id) => pipeline.resultsFor(id)[0]?.error?.message,
    );
    expect(new Set(claimMessages).size, claimMessages.join(' | ')).toBe(1);
    const unreadable = bad.filter(([, id]) => id === null).map(([, , code]) => code);
    expect(rejectionsFor(null).sort()).toEqual(unreadable.sort());
    for (const event of pipeline.events('Request Rejected')) {
      const id = event['custom_id'] as string | null;
      const entry = bad.find(([, badId]) => badId === id);
      if (entry !== undefined) expect(event['result_delivered'], String(id)).toBe(entry[3]);
    }

    // Two bodies under one id in one SQS batch: one delivery, one conflicting_resend.
    expect(pipeline.resultsFor('dup-diff-1').map((r) => r.status)).toEqual(['succeeded']);
    expect(rejectionsFor('dup-diff-1')).toEqual(['conflicting_resend']);

    // An unknown model is the provider's call: accepted at intake, errored per request.
    expect(rejectionsFor('unknown-model-1')).toEqual([]);
    const unknown = pipeline.resultsFor('unknown-model-1');
    expect(unknown.map((r) => r.status)).toEqual(['errored']);
    expect(unknown[0]?.error?.type).toBe('invalid_request_error');

    expect(await pipeline.queueDepth(pipeline.stack.intakeDlqUrl)).toBe(0);
  });
});

describe('Pipeline: webhooks to private addresses, with private webhooks not allowed', () => {
  it('refuses SSRF-style webhook URLs at intake and never delivers to them', async () => {
    // The local stack's handlers run with private webhooks allowed (its receiver is on
    // loopback) and read their configuration once, at import. So the real collector use case
    // is composed a second time here, over the same emulators and providers, from the same
    // configuration with private webhooks not allowed, and fed intake messages directly.
    const strict = await createRuntime(
      { ...pipeline.stack.env, [ENV.allowPrivateWebhooks]: 'false' },
      'collector-strict',
    );
    const collect = createCollector(strict.deps);
    const urls: [string, string][] = [
      ['ssrf-metadata', 'http://169.254.169.254/latest/meta-data/iam/'],
      ['ssrf-metadata-decimal', 'http://2852039166/latest/meta-data/'],
      ['ssrf-metadata-v6', 'http://[fd00:ec2::254]/latest/meta-data/'],
      ['ssrf-private-10', 'https://10.0.0.5/hook'],
      ['ssrf-private-192', 'https://192.168.1.20/hook'],
      ['ssrf-private-172', 'https://172.16.4.4/hook'],
      ['ssrf-cgnat', 'https://100.64.1.1/hook'],
      ['ssrf-loopback', pipeline.webhook.url],
      ['ssrf-localhost', 'http://localhost:9/hook'],
      ['ssrf-v6-loopback', 'http://[::1]:9/hook'],
    ];
    const messages = [
      ...urls.map(([id, url]) => ({
        messageId: `strict-${id}`,
        body: JSON.stringify(good(id, { type: 'webhook', url })),
      })),
      {
        messageId: 'strict-good',
        body: JSON.stringify(good('strict-good-1', pipeline.destinations.sqs)),
      },
    ];
    const report = await collect(messages);

    expect(report.failedMessageIds).toEqual([]);
    expect(report.rejected).toBe(urls.length);
    await pipeline.waitForResults(['strict-good-1']);
    expect(pipeline.resultsFor('strict-good-1').map((r) => r.status)).toEqual(['succeeded']);
    for (const [id] of urls) {
      expect(rejectionsFor(id), id).toEqual(['invalid_destination']);
      expect(pipeline.resultsFor(id), id).toEqual([]);
      const event = pipeline.events('Request Rejected').find((d) => d['custom_id'] === id);
      expect(event?.['result_delivered'], id).toBe(false);
    }
    // Not even the rejected result went to the loopback receiver.
    const hooked = pipeline.webhook.received.flatMap((w) => w.results.map((r) => r.custom_id));
    expect(hooked.filter((id) => id.startsWith('ssrf-'))).toEqual([]);
    expect(await pipeline.queueDepth(pipeline.stack.intakeDlqUrl)).toBe(0);
  });
});

describe('Pipeline: a claim check that cannot be read for now', () => {
  it('hands the message back to SQS instead of refusing it, and serves the rest of the batch', async () => {
    // The real collector over the local stack, with a claim-check reader whose S3 is down.
    const runtime = await createRuntime(pipeline.stack.env, 'collector-s3-down');
    let reads = 0;
    const collect = createCollector({
      ...runtime.deps,
      claimChecks: {
        read: async () => {
          reads += 1;
          throw new UnavailableError('S3.GetObject: ServiceUnavailable', { code: 'unavailable' });
        },
      },
    });

    const report = await collect([
      {
        messageId: 'down-claim',
        body: JSON.stringify({
          custom_id: 'down-claim-1',
          provider: 'anthropic',
          body_s3_uri: claimUri('claims/good.json'),
          destination: pipeline.destinations.sqs,
        }),
      },
      {
        messageId: 'down-inline',
        body: JSON.stringify(good('down-inline-1', pipeline.destinations.sqs)),
      },
    ]);

    expect(reads).toBe(1);
    expect(report.failedMessageIds).toEqual(['down-claim']);
    await pipeline.waitForResults(['down-inline-1']);
    expect(pipeline.resultsFor('down-inline-1').map((r) => r.status)).toEqual(['succeeded']);
    expect(rejectionsFor('down-claim-1')).toEqual([]);
    expect(pipeline.resultsFor('down-claim-1')).toEqual([]);
  });
});
