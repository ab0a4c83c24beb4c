import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_ACCOUNT_SENDER_ID } from '../../../local/stack/SqsEventSourceMapping.js';
import { createRuntime } from '../../../shared/composition/createRuntime.js';
import { ENV } from '../../../shared/config/BatchlaneConfig.js';
import { UnavailableError } from '../../../shared/domain/errors.js';
import { createCollector } from '../../../shared/usecases/createCollector.js';
import { waitUntil } from '../../support/waitUntil.js';
import {
  BAD_INPUT_CORPUS,
  CLAIM_OBJECTS,
  type CorpusEnv,
  OTHER_PRODUCERS_OBJECTS,
} from './badInputCorpus.js';
import { type Pipeline, startPipeline } from './pipelineHarness.js';

/**
 * Bad input through the whole pipeline: every refusal carries its own code, good requests
 * sent in the same SQS batches are delivered exactly once, and nothing reaches the DLQ.
 *
 * The deployment's per-batch byte cap is lowered to 64 KiB for this file, so "a body over
 * what a batch can take" is an object of tens of kilobytes rather than 256 MB.
 */
const MAX_BYTES_PER_BATCH = 64 * 1024;
/** Where producers put claim-checked bodies: the local stack's artifacts bucket, under claims/<producer>/. */
const CLAIMS_BUCKET = 'batchlane-artifacts';
/** A bucket of the producer's own choosing: readable by the stack's credentials, never read. */
const FOREIGN_BUCKET = 'producer-claim-checks';

let pipeline: Pipeline;
const previousCap = process.env[ENV.maxBytesPerBatch];

beforeAll(async () => {
  // Read by the handlers' configuration when the local stack imports them.
  process.env[ENV.maxBytesPerBatch] = String(MAX_BYTES_PER_BATCH);
  pipeline = await startPipeline({ collectorBatchSize: 100, collectorBatchingWindowMs: 1500 });
  await pipeline.aws.s3.send(new CreateBucketCommand({ Bucket: FOREIGN_BUCKET }));
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

/**
 * The messages here carry no local sender attribute, so the local stack sees the local account
 * send them: its claim checks are under `claims/<account>/`, where `claims/x` of the corpus
 * is put and named.
 */
const ownKey = (key: string) =>
  key.startsWith('claims/')
    ? `claims/${LOCAL_ACCOUNT_SENDER_ID}/${key.slice('claims/'.length)}`
    : key;

const putObject = (key: string, body: string) =>
  pipeline.aws.s3.send(
    new PutObjectCommand({ Bucket: CLAIMS_BUCKET, Key: ownKey(key), Body: body }),
  );

const claimUri = (key: string) => `s3://${CLAIMS_BUCKET}/${ownKey(key)}`;

/** Metadata DynamoDB could not keep as a map (empty keys, a `constructor` key, numbers out of its range). */
const ODD_METADATA: unknown = JSON.parse(
  '{"": "empty key", "nested": {"": null}, "lone": "\\ud800", "constructor": 2, "big": 1e200, "tiny": 5e-324}',
);

/** Every queue of the stack is drained: nothing is left to retry and no DLQ holds anything. */
const queueDepths = async (): Promise<Record<string, number>> => {
  const { stack } = pipeline;
  const urls = {
    intake: stack.intakeQueueUrl,
    intakeDlq: stack.intakeDlqUrl,
    completionDlq: stack.completionDlqUrl,
    realtimeDlq: stack.realtimeDlqUrl,
  };
  const depths: Record<string, number> = {};
  for (const [name, url] of Object.entries(urls)) depths[name] = await pipeline.queueDepth(url);
  return depths;
};

describe('Pipeline: the bad-input corpus, interleaved with good requests', () => {
  it('refuses each bad message with its own code, delivers every good one exactly once and leaves every DLQ empty', async () => {
    // Prepare: claim-check objects, then good and bad messages interleaved.
    const { sqs, s3, eventbridge, webhook } = pipeline.destinations;
    const env: CorpusEnv = {
      destinations: pipeline.destinations,
      claimUri,
      foreignUri: (key) => `s3://${FOREIGN_BUCKET}/${key}`,
      bucketUri: (key) => `s3://${CLAIMS_BUCKET}/${key}`,
      maxBytesPerBatch: MAX_BYTES_PER_BATCH,
    };
    await pipeline.aws.s3.send(
      new PutObjectCommand({
        Bucket: FOREIGN_BUCKET,
        Key: 'claims/good.json',
        Body: JSON.stringify(anthropicBody('from a bucket of my choosing')),
      }),
    );
    await putObject('claims/good.json', JSON.stringify(anthropicBody('by claim check')));
    await putObject('claims/fold.json', JSON.stringify(anthropicBody('same either way')));
    for (const [key, content] of Object.entries(CLAIM_OBJECTS)) await putObject(key, content(env));
    // Good bodies in batchlane's bucket where this producer may not read: the shared prefix
    // and another producer's.
    for (const key of OTHER_PRODUCERS_OBJECTS) {
      await pipeline.aws.s3.send(
        new PutObjectCommand({
          Bucket: CLAIMS_BUCKET,
          Key: key,
          Body: JSON.stringify(anthropicBody('not this producer')),
        }),
      );
    }

    const goodOnes = [
      good('good-sqs-1', sqs),
      good('good-s3-1', s3),
      good('good-eb-1', eventbridge),
      // The local stack allows private webhooks, and the receiver listens on 127.0.0.1.
      good('good-webhook-1', webhook),
      good('good-sqs-2', sqs, 'second'),
      good('good-s3-2', s3, 'second'),
      // Ids that are also names on every JavaScript object.
      good('__proto__', sqs, 'an id that is a prototype name'),
      good('constructor', s3, 'another'),
      // Odd but valid metadata: empty keys, a lone surrogate, a key named constructor.
      { ...good('good-odd-metadata', sqs, 'odd metadata'), metadata: ODD_METADATA },
      {
        custom_id: 'good-openai-1',
        provider: 'openai',
        body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] },
        destination: sqs,
      },
      {
        custom_id: 'good-openai-max',
        provider: 'openai',
        body: {
          model: 'gpt-4o-mini',
          max_completion_tokens: 16_384,
          messages: [{ role: 'user', content: 'at the cap, not above it' }],
        },
        destination: sqs,
      },
      {
        custom_id: 'good-max-tokens',
        provider: 'anthropic',
        body: { ...anthropicBody('at the cap'), max_tokens: 64_000 },
        destination: sqs,
        metadata: { depth: [[[[[[[[[[[[[[['fifteen levels']]]]]]]]]]]]]]] },
      },
      {
        custom_id: 'good-claim-1',
        provider: 'anthropic',
        body_s3_uri: claimUri('claims/good.json'),
        destination: sqs,
      },
      ...Array.from({ length: 12 }, (_, i) => good(`good-filler-${i}`, i % 2 === 0 ? sqs : s3)),
    ];
    // The same request inline and by claim check: one body, so one request.
    const foldInline = good('fold-1', sqs, 'same either way');
    const foldClaimed = {
      custom_id: 'fold-1',
      provider: 'anthropic',
      body_s3_uri: claimUri('claims/fold.json'),
      destination: sqs,
    };
    // A name in Anthropic's id family that no model has: only the provider knows, so it passes
    // intake and comes back errored, as the real API answers it.
    const unknownModel = {
      ...good('unknown-model-1', sqs),
      body: anthropicBody('hi', 'claude-mystery-9000'),
    };
    const conflictFirst = good('dup-diff-1', sqs, 'first body');
    const conflictSecond = good('dup-diff-1', sqs, 'second body');

    const extras = [foldInline, unknownModel, foldClaimed, conflictFirst, conflictSecond];
    const goods: object[] = [...goodOnes, ...extras];
    const bad = BAD_INPUT_CORPUS;
    const ids = bad.flatMap((c) => (c.customId === null ? [] : [c.customId]));
    expect(new Set(ids).size, 'corpus ids are unique').toBe(ids.length);
    expect(bad.length).toBeGreaterThanOrEqual(40);
    // One good message after every bad one (goods reused as identical resends once they run out).
    const messages: (string | object)[] = [];
    for (let i = 0; i < Math.max(goods.length, bad.length); i += 1) {
      const g = goods[i] ?? goodOnes[i % goodOnes.length];
      const b = bad[i];
      if (b !== undefined) messages.push(b.message(env));
      if (g !== undefined) messages.push(g);
    }

    // Act
    await pipeline.send(messages);
    const withResults = [
      ...goodOnes.map((g) => g.custom_id),
      'fold-1',
      'unknown-model-1',
      'dup-diff-1',
      ...bad.filter((c) => c.delivered).map((c) => c.customId ?? ''),
    ];
    await pipeline.waitForResults(withResults, 120_000);
    const expectedEvents = bad.length + 1; // each bad message, and the conflicting resend
    await waitUntil(
      () => pipeline.events('Request Rejected').length >= expectedEvents,
      `${expectedEvents} Request Rejected events`,
      30_000,
    );

    // Assess: each good request exactly once, succeeded.
    for (const id of [...goodOnes.map((g) => g.custom_id), 'fold-1']) {
      expect(
        pipeline.resultsFor(id).map((r) => r.status),
        id,
      ).toEqual(['succeeded']);
      expect(rejectionsFor(id), id).toEqual([]);
    }
    expect(pipeline.webhook.received.every((w) => w.signatureValid)).toBe(true);
    expect(pipeline.resultsFor('good-odd-metadata')[0]?.metadata).toEqual(ODD_METADATA);
    const atCap = pipeline.resultsFor('good-max-tokens')[0];
    expect(atCap?.metadata).toEqual({ depth: [[[[[[[[[[[[[[['fifteen levels']]]]]]]]]]]]]]] });

    // Each bad message: its own code, and a rejected result where id and destination are readable.
    for (const c of bad) {
      if (c.customId === null) continue;
      expect(rejectionsFor(c.customId), c.name).toEqual([c.code]);
      const results = pipeline.resultsFor(c.customId);
      if (c.delivered) {
        expect(
          results.map((r) => [r.status, r.error?.type]),
          c.name,
        ).toEqual([['rejected', c.code]]);
      } else {
        expect(results, c.name).toEqual([]);
      }
    }
    const unreadable = bad.filter((c) => c.customId === null).map((c) => c.code);
    expect(rejectionsFor(null).sort()).toEqual([...unreadable].sort());
    for (const event of pipeline.events('Request Rejected')) {
      const id = event['custom_id'] as string | null;
      const entry = bad.find((c) => c.customId === id);
      if (entry !== undefined && id !== null) {
        expect(event['result_delivered'], entry.name).toBe(entry.delivered);
      }
      // Every rejection fits an event and a log line, however large the message was.
      expect(JSON.stringify(event).length, String(id)).toBeLessThan(8 * 1024);
    }
    // Metadata out of bounds is not echoed on the rejected result.
    expect(pipeline.resultsFor('meta-deep')[0]?.metadata ?? null).toBeNull();
    expect(pipeline.resultsFor('meta-big')[0]?.metadata ?? null).toBeNull();

    // "Not there" and "not yours" read the same: a refusal tells nothing about other objects.
    const claimMessages = [
      'cc-missing',
      'cc-no-bucket',
      'cc-not-yours',
      'cc-outside',
      'cc-shared-prefix',
      'cc-other-producer',
    ].map((id) => pipeline.resultsFor(id)[0]?.error?.message);
    expect(new Set(claimMessages).size, claimMessages.join(' | ')).toBe(1);

    // Two bodies under one id in one SQS batch: one delivery, one conflicting_resend.
    expect(pipeline.resultsFor('dup-diff-1').map((r) => r.status)).toEqual(['succeeded']);
    expect(rejectionsFor('dup-diff-1')).toEqual(['conflicting_resend']);

    // A model name only the provider can judge: accepted at intake, refused per request.
    expect(rejectionsFor('unknown-model-1')).toEqual([]);
    const unknown = pipeline.resultsFor('unknown-model-1');
    expect(unknown.map((r) => r.status)).toEqual(['errored']);
    expect(unknown[0]?.error?.type).toBe('not_found_error');
    expect(unknown[0]?.attempts).toBe(1);

    // Every message was acknowledged, and none reached a dead-letter queue.
    expect(await queueDepths()).toEqual({
      intake: 0,
      intakeDlq: 0,
      completionDlq: 0,
      realtimeDlq: 0,
    });
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

describe('Pipeline: DeepSeek in a deployment without the realtime worker', () => {
  it('refuses a deepseek request at intake with its own code and delivers its neighbours', async () => {
    // The real collector over the local stack, as a deployment without the realtime lane
    // builds it: no realtime dispatcher.
    const runtime = await createRuntime(pipeline.stack.env, 'collector-no-realtime');
    const collect = createCollector({ ...runtime.deps, realtime: null });
    const deepseek = {
      custom_id: 'no-lane-deepseek-1',
      provider: 'deepseek',
      tier: 'off_peak',
      body: { model: 'deepseek-flash', messages: [{ role: 'user', content: 'hi' }] },
      destination: pipeline.destinations.sqs,
    };
    const report = await collect([
      { messageId: 'no-lane-deepseek', body: JSON.stringify(deepseek) },
      {
        messageId: 'no-lane-good',
        body: JSON.stringify(good('no-lane-good-1', pipeline.destinations.sqs)),
      },
    ]);

    expect(report.failedMessageIds).toEqual([]);
    expect(report.rejected).toBe(1);
    expect(rejectionsFor('no-lane-deepseek-1')).toEqual(['no_realtime_lane']);
    await pipeline.waitForResults(['no-lane-deepseek-1', 'no-lane-good-1']);
    const [refused] = pipeline.resultsFor('no-lane-deepseek-1');
    expect(refused?.status).toBe('rejected');
    expect(refused?.error?.type).toBe('no_realtime_lane');
    expect(pipeline.resultsFor('no-lane-good-1').map((r) => r.status)).toEqual(['succeeded']);
    // Nothing was handed to a lane that is not there, nor left for the DLQ.
    expect(await pipeline.queueDepth(pipeline.stack.realtimeQueueUrl)).toBe(0);
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
          // No SenderId given: the default producer, whose claim checks are directly under claims/.
          body_s3_uri: `s3://${CLAIMS_BUCKET}/claims/good.json`,
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

describe('Pipeline: one message that fails unexpectedly, among good ones', () => {
  const isolationRuntime = async (name: string) => createRuntime(pipeline.stack.env, name);
  /** The store with some methods replaced (a proxy: the store keeps private fields). */
  const storeWith = <S extends object>(store: S, overrides: Partial<S>): S =>
    new Proxy(store, {
      get: (target, key) => {
        if (key in overrides) return overrides[key as keyof S];
        const value: unknown = Reflect.get(target, key, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });

  it('refuses for good only the message whose handling throws, or that the ledger refuses for good, and delivers its neighbours', async () => {
    const runtime = await isolationRuntime('collector-isolation');
    const { deps } = runtime;
    const unstorable = 'iso-unstorable';
    const refuses = (ids: readonly string[]) => ids.includes(unstorable);
    const collect = createCollector({
      ...deps,
      // Preparing an OpenAI request throws here: a defect that would fail the invocation.
      realtimeProviders: new Proxy(deps.realtimeProviders, {
        get: (target, key, receiver) => {
          if (key === 'openai') throw new TypeError('lane choice exploded');
          return Reflect.get(target, key, receiver);
        },
      }),
      // The store refuses one request for good (an item it will not take; the adapter's
      // answer to a ValidationException for that member alone, see the filling tests).
      store: storeWith(deps.store, {
        claimPartMembers: async (
          ...[batchId, partNo, members, now]: Parameters<typeof deps.store.claimPartMembers>
        ) => {
          const storable = members.filter((m) => !refuses([m.item.customId]));
          const claims = await deps.store.claimPartMembers(batchId, partNo, storable, now);
          return members.map((m) =>
            refuses([m.item.customId]) ? ('unstorable' as const) : (claims.shift() ?? 'held'),
          );
        },
      }),
    });
    const { sqs } = pipeline.destinations;
    const messages = [
      good('iso-good-1', sqs),
      {
        custom_id: 'iso-throws',
        provider: 'openai',
        body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] },
        destination: sqs,
      },
      good('iso-good-2', sqs),
      good(unstorable, sqs),
      good('iso-good-3', sqs),
    ].map((m, i) => ({ messageId: `iso-${i}`, body: JSON.stringify(m) }));

    const report = await collect(messages);

    // Nothing is handed back to SQS: the two bad ones are refused for good, the rest accepted.
    expect(report.failedMessageIds).toEqual([]);
    expect(report.accepted).toBe(3);
    await pipeline.waitForResults(['iso-good-1', 'iso-good-2', 'iso-good-3', 'iso-throws']);
    for (const id of ['iso-good-1', 'iso-good-2', 'iso-good-3']) {
      expect(
        pipeline.resultsFor(id).map((r) => r.status),
        id,
      ).toEqual(['succeeded']);
    }
    await waitUntil(() => rejectionsFor(unstorable).length > 0, 'the unstorable refusal', 30_000);
    for (const id of ['iso-throws', unstorable]) {
      expect(rejectionsFor(id), id).toEqual(['unprocessable_message']);
      expect(
        pipeline.resultsFor(id).map((r) => [r.status, r.error?.type]),
        id,
      ).toEqual([['rejected', 'unprocessable_message']]);
    }
  });

  it('hands back only the accepted messages when admission fails, and still settles the refusals', async () => {
    const runtime = await isolationRuntime('collector-admission-down');
    const { deps } = runtime;
    const collect = createCollector({
      ...deps,
      // A quota makes admission read the active batches, which fails here.
      settings: { ...deps.settings, quotas: { anthropic: { '*': { requests: 1_000_000 } } } },
      store: storeWith(deps.store, {
        listDueBatches: async () => {
          throw new UnavailableError('DynamoDB.Query: ServiceUnavailable', {
            code: 'unavailable',
          });
        },
      }),
    });
    const { sqs } = pipeline.destinations;
    const report = await collect([
      { messageId: 'adm-good', body: JSON.stringify(good('adm-good-1', sqs)) },
      {
        messageId: 'adm-bad',
        body: JSON.stringify({ ...good('adm-bad-1', sqs), metadata: 'm'.repeat(20_000) }),
      },
    ]);

    expect(report.failedMessageIds).toEqual(['adm-good']);
    expect(report.held).toBe(0);
    await pipeline.waitForResults(['adm-bad-1']);
    expect(rejectionsFor('adm-bad-1')).toEqual(['metadata_too_large']);
    expect(pipeline.resultsFor('adm-good-1')).toEqual([]);
  });
});
