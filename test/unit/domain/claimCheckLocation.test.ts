import { describe, expect, it } from 'vitest';
import {
  claimCheckCapOf,
  claimCheckKeyOf,
  claimCheckPrefix,
} from '../../../shared/domain/claimCheckLocation.js';

const BUCKET = 'batchlane-artifacts';

describe('Function: claimCheckPrefix()', () => {
  it('is the shared claims/ for the default producer and a caller that names none', () => {
    expect(claimCheckPrefix()).toBe('claims/');
    expect(claimCheckPrefix(null)).toBe('claims/');
    expect(claimCheckPrefix('')).toBe('claims/');
  });

  it("is a producer's own segment under claims/ once they are", () => {
    expect(claimCheckPrefix('team-a')).toBe('claims/team-a/');
  });

  it.each(['.', '..', 'a/b', 'x'.repeat(129)])(
    'gives the producer key %j no prefix at all',
    (producer) => {
      expect(claimCheckPrefix(producer)).toBeNull();
    },
  );
});

describe('Function: claimCheckKeyOf()', () => {
  it("returns the key of an object under claims/ in batchlane's bucket", () => {
    expect(claimCheckKeyOf(`s3://${BUCKET}/claims/run-1/body.json`, BUCKET)).toBe(
      'claims/run-1/body.json',
    );
  });

  it.each([
    ['another bucket', 's3://someone-elses-bucket/claims/body.json'],
    ['another prefix of the bucket', `s3://${BUCKET}/batches/b1/parts/0.jsonl`],
    ['the parked results', `s3://${BUCKET}/parked/sqs/abc/b1/p.jsonl`],
    ['a prefix that only starts like claims', `s3://${BUCKET}/claims-old/body.json`],
    ['the prefix itself', `s3://${BUCKET}/claims/`],
    ['a dot-dot segment', `s3://${BUCKET}/claims/../batches/b1/parts/0.jsonl`],
    ['a dot segment', `s3://${BUCKET}/claims/./body.json`],
    ['an empty segment', `s3://${BUCKET}/claims//body.json`],
    ['not an s3 URI', `https://${BUCKET}.s3.amazonaws.com/claims/body.json`],
  ])('refuses %s', (_, uri) => {
    expect(claimCheckKeyOf(uri, BUCKET)).toBeNull();
  });

  it('keeps a producer to its own prefix once producers are told apart', () => {
    expect(claimCheckKeyOf(`s3://${BUCKET}/claims/team-a/b.json`, BUCKET, 'team-a')).toBe(
      'claims/team-a/b.json',
    );
    expect(claimCheckKeyOf(`s3://${BUCKET}/claims/team-b/b.json`, BUCKET, 'team-a')).toBeNull();
    expect(claimCheckKeyOf(`s3://${BUCKET}/claims/b.json`, BUCKET, 'team-a')).toBeNull();
  });

  it("keeps the default producer to objects directly under claims/, out of every producer's folder", () => {
    expect(claimCheckKeyOf(`s3://${BUCKET}/claims/b.json`, BUCKET, '')).toBe('claims/b.json');
    expect(claimCheckKeyOf(`s3://${BUCKET}/claims/team-a/b.json`, BUCKET, '')).toBeNull();
  });
});

describe('Function: claimCheckCapOf()', () => {
  const caps = { maxBytesPerBatch: null, maxClaimCheckBytes: 10 ** 12 };

  it("is each provider's own per-batch limit", () => {
    expect(claimCheckCapOf('anthropic', caps)).toBe(256_000_000);
    expect(claimCheckCapOf('openai', caps)).toBe(200_000_000);
  });

  it('is the smallest provider limit for a provider nobody knows', () => {
    // DeepSeek's one-request "batch" (its realtime body cap, 64 MiB) is the smallest.
    expect(claimCheckCapOf('nobody', caps)).toBe(64 * 1024 * 1024);
    expect(claimCheckCapOf(undefined, caps)).toBe(64 * 1024 * 1024);
  });

  it("is the deployment's lower caps when they are lower", () => {
    expect(claimCheckCapOf('anthropic', { ...caps, maxBytesPerBatch: 1000 })).toBe(1000);
    expect(claimCheckCapOf('anthropic', { ...caps, maxClaimCheckBytes: 64 })).toBe(64);
  });
});
