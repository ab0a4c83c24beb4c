import { describe, expect, it } from 'vitest';
import { UnavailableError } from '../../../shared/domain/errors.js';
import type { ClaimCheckResolution } from '../../../shared/domain/validateRequest.js';
import type { RuntimeDeps } from '../../../shared/usecases/RuntimeDeps.js';
import {
  type ClaimCheckedMessage,
  createClaimCheckResolver,
} from '../../../shared/usecases/resolveClaimChecks.js';
import { InMemoryBlobStore } from '../../support/fakes/InMemoryBlobStore.js';
import { InMemoryClaimCheckReader } from '../../support/fakes/InMemoryClaimCheckReader.js';
import { RecordingLogger } from '../../support/fakes/RecordingObservability.js';

const BUCKET = 'batchlane-artifacts';
const BODY = { model: 'claude-haiku-4-5', max_tokens: 8, messages: [] };

const setUp = () => {
  const blobs = new InMemoryBlobStore();
  const claimChecks = new InMemoryClaimCheckReader(blobs);
  const logger = new RecordingLogger();
  const deps = {
    claimChecks,
    logger,
    settings: { claimCheckBucket: BUCKET, maxBytesPerBatch: null, maxClaimCheckBytes: 1 << 20 },
  } as unknown as Pick<RuntimeDeps, 'claimChecks' | 'logger' | 'settings'>;
  return { blobs, claimChecks, logger, resolve: createClaimCheckResolver(deps) };
};

let sequence = 0;
/** A message from `producer` sending its body as the object at `key` of `bucket`. */
const message = (producer: string, key: string, bucket = BUCKET): ClaimCheckedMessage => {
  sequence += 1;
  return {
    messageId: `m-${sequence}`,
    producer,
    body: JSON.stringify({
      custom_id: `c-${sequence}`,
      provider: 'anthropic',
      body_s3_uri: `s3://${bucket}/${key}`,
    }),
  };
};

const resolveOne = async (
  resolve: ReturnType<typeof setUp>['resolve'],
  m: ClaimCheckedMessage,
): Promise<ClaimCheckResolution | undefined> => (await resolve([m], new Set())).get(m.messageId);

describe('createClaimCheckResolver, per producer, against the fakes', () => {
  it("reads a producer's claim check from its own prefix", async () => {
    const { blobs, resolve } = setUp();
    await blobs.put('claims/team-a/body.json', JSON.stringify(BODY));
    expect(await resolveOne(resolve, message('team-a', 'claims/team-a/body.json'))).toEqual({
      ok: true,
      body: BODY,
    });
  });

  it("refuses another producer's object exactly as an object that is not there", async () => {
    const { blobs, resolve } = setUp();
    await blobs.put('claims/team-a/body.json', JSON.stringify(BODY));
    const notYours = await resolveOne(resolve, message('team-b', 'claims/team-a/body.json'));
    const notThere = await resolveOne(resolve, message('team-b', 'claims/team-b/nothing.json'));
    expect(notYours).toEqual({
      ok: false,
      code: 'claim_check_missing',
      message: `body_s3_uri names no claim-check object this producer may use: put the body under s3://${BUCKET}/claims/team-b/ and send that URI`,
    });
    expect(notThere).toEqual(notYours);
  });

  it.each([
    ['the shared prefix', 'claims/body.json', BUCKET],
    ['another prefix of the bucket', 'batches/b1/parts/0.jsonl', BUCKET],
    ['another bucket', 'claims/team-b/body.json', 'producer-chosen-bucket'],
    ['a dot-dot way out of its prefix', 'claims/team-b/../team-a/body.json', BUCKET],
  ])('gives a told-apart producer the not-there answer for %s', async (_, key, bucket) => {
    const { blobs, resolve } = setUp();
    for (const k of ['claims/body.json', 'batches/b1/parts/0.jsonl', 'claims/team-a/body.json']) {
      await blobs.put(k, JSON.stringify(BODY));
    }
    const notThere = await resolveOne(resolve, message('team-b', 'claims/team-b/none.json'));
    expect(await resolveOne(resolve, message('team-b', key, bucket))).toEqual(notThere);
  });

  it("reads the default producer's claim checks directly under the shared claims/, and only there", async () => {
    const { blobs, resolve } = setUp();
    await blobs.put('claims/shared.json', JSON.stringify(BODY));
    await blobs.put('claims/team-a/body.json', JSON.stringify(BODY));
    expect(await resolveOne(resolve, message('', 'claims/shared.json'))).toEqual({
      ok: true,
      body: BODY,
    });
    // Every folder under claims/ may be a producer's: the default producer reads none of them.
    expect(await resolveOne(resolve, message('', 'claims/team-a/body.json'))).toEqual(
      await resolveOne(resolve, message('', 'claims/nothing.json')),
    );
    // A told-apart producer reads no shared object, even one that exists.
    expect(await resolveOne(resolve, message('team-a', 'claims/shared.json'))).toMatchObject({
      ok: false,
      code: 'claim_check_missing',
    });
  });

  it('reads the same URI once per producer, each against its own prefix', async () => {
    const { blobs, resolve } = setUp();
    await blobs.put('claims/team-a/body.json', JSON.stringify(BODY));
    const a1 = message('team-a', 'claims/team-a/body.json');
    const a2 = message('team-a', 'claims/team-a/body.json');
    const b = message('team-b', 'claims/team-a/body.json');
    const resolved = await resolve([a1, a2, b], new Set());
    expect(resolved.get(a1.messageId)).toEqual({ ok: true, body: BODY });
    expect(resolved.get(a2.messageId)).toEqual({ ok: true, body: BODY });
    expect(resolved.get(b.messageId)).toMatchObject({ ok: false, code: 'claim_check_missing' });
  });

  it('leaves messages without a claim check out, and hands a read that failed for now back', async () => {
    const { blobs, claimChecks, logger, resolve } = setUp();
    await blobs.put('claims/team-a/body.json', JSON.stringify(BODY));
    const inline: ClaimCheckedMessage = {
      messageId: 'inline',
      producer: 'team-a',
      body: JSON.stringify({ custom_id: 'x', body: BODY }),
    };
    const claimed = message('team-a', 'claims/team-a/body.json');
    claimChecks.failReadsWith(new UnavailableError('S3 is down', { code: 'unavailable' }));
    const failed = new Set<string>();
    const resolved = await resolve([inline, claimed], failed);
    expect(resolved.size).toBe(0);
    expect([...failed]).toEqual([claimed.messageId]);
    expect(logger.withMessage('claim check not read; will retry')).toHaveLength(1);
  });
});
