import { describe, expect, it } from 'vitest';
import { memberIndexOf, providerCustomIdOf } from '../../../../shared/domain/providerCustomIdOf.js';
import type { BatchItem } from '../../../../shared/domain/records.js';
import { MemberIdSet } from '../../../../shared/usecases/completion/MemberIdSet.js';
import { PackedMembers } from '../../../../shared/usecases/completion/PackedMembers.js';

const S3 = { type: 's3', bucket: 'results', prefix: 'out/' } as const;
const SQS = { type: 'sqs', queue_url: 'https://sqs.us-east-1.amazonaws.com/1/q' } as const;

const member = (providerCustomId: string, overrides: Partial<BatchItem> = {}): BatchItem => ({
  batchId: 'bl_1',
  providerCustomId,
  producer: 'team-a',
  customId: `req-${providerCustomId}`,
  model: 'claude-sonnet-4-6',
  destination: S3,
  metadata: { suite: 'nightly', note: 'ünïcödé ✓' },
  attempts: 1,
  acceptedAt: '2026-12-07T00:00:00.000Z',
  deadline: null,
  status: null,
  deliveredAt: null,
  escalatedAt: null,
  lane: { requested: 'batch', reason: 'tier batch' },
  cost: null,
  ...overrides,
});

describe('memberIndexOf', () => {
  it('reads back the ids providerCustomIdOf makes, and only those', () => {
    for (const index of [0, 7, 999_999, 1_000_000, 123_456_789]) {
      expect(memberIndexOf(providerCustomIdOf(index))).toBe(index);
    }
    for (const other of [
      'r42',
      'r0000042',
      'x000042',
      'r00004a',
      '',
      'r',
      'r-00001',
      'r1234567890',
    ]) {
      expect(memberIndexOf(other)).toBe(-1);
    }
  });
});

describe('PackedMembers', () => {
  it('gives back every member as it was set, by id, with destinations shared', () => {
    const members = new PackedMembers('bl_1');
    const items = [
      member(providerCustomIdOf(0)),
      member(providerCustomIdOf(5), {
        destination: SQS,
        deadline: '2026-12-08T00:00:00.000Z',
        model: 'gpt-4.1-mini',
        lane: { requested: 'auto', reason: 'deadline allows batch' },
      }),
      member(providerCustomIdOf(6), { destination: null, metadata: null, producer: '' }),
      member(providerCustomIdOf(7), {
        status: 'succeeded',
        deliveredAt: '2026-12-07T01:00:00.000Z',
        cost: {
          provider: 'anthropic',
          model: 'claude-sonnet-4-6',
          lane: 'batch',
          inputTokens: 10,
          outputTokens: 20,
          usd: 0.1,
          realtimeUsd: 0.2,
        } as unknown as BatchItem['cost'],
        retryAt: '2026-12-07T00:30:00.000Z',
        undeliveredAt: '2026-12-07T00:40:00.000Z',
      }),
      member('custom-id-from-elsewhere', { attempts: 3 }),
    ];
    for (const item of items) members.set(item.providerCustomId, item);
    expect(members.size).toBe(5);
    for (const item of items) expect(members.get(item.providerCustomId)).toEqual(item);
    // One object per distinct destination, as the store hands them out.
    members.set(providerCustomIdOf(8), member(providerCustomIdOf(8)));
    const [first, again] = [providerCustomIdOf(0), providerCustomIdOf(8)].map((id) =>
      members.get(id),
    );
    expect(again?.destination).toBe(first?.destination);
    expect(again?.lane).toBe(first?.lane);
    expect(members.size).toBe(6);
    expect([...members.values()].map((m) => m.providerCustomId)).toEqual([
      ...items.slice(0, 4).map((m) => m.providerCustomId),
      providerCustomIdOf(8),
      'custom-id-from-elsewhere',
    ]);
  });

  it('answers undefined for ids it does not hold, however they look', () => {
    const members = new PackedMembers('bl_1');
    members.set(providerCustomIdOf(3), member(providerCustomIdOf(3)));
    for (const id of [
      providerCustomIdOf(2),
      providerCustomIdOf(4),
      providerCustomIdOf(999_999_999),
      'r3',
      'nope',
    ]) {
      expect(members.get(id)).toBeUndefined();
      expect(members.has(id)).toBe(false);
    }
    expect(members.has(providerCustomIdOf(3))).toBe(true);
  });

  it('takes the last set of an id, counting it once', () => {
    const members = new PackedMembers('bl_1');
    const id = providerCustomIdOf(9);
    members.set(id, member(id));
    members.set(id, member(id, { attempts: 2, escalatedAt: '2026-12-07T02:00:00.000Z' }));
    members.set('other', member('other'));
    members.set('other', member('other', { attempts: 4 }));
    expect(members.size).toBe(2);
    expect(members.get(id)?.attempts).toBe(2);
    expect(members.get(id)?.escalatedAt).toBe('2026-12-07T02:00:00.000Z');
    expect(members.get('other')?.attempts).toBe(4);
    expect([...members.values()]).toHaveLength(2);
  });

  it('holds members across many slabs, and one larger than a slab', () => {
    const members = new PackedMembers('bl_1');
    const big = 'x'.repeat(1_500_000);
    const count = 20_000;
    for (let i = 0; i < count; i++) {
      const id = providerCustomIdOf(i);
      members.set(id, member(id, { metadata: i === 10_000 ? { big } : { i } }));
    }
    expect(members.size).toBe(count);
    for (const i of [0, 1, 9_999, 10_000, 10_001, count - 1]) {
      const got = members.get(providerCustomIdOf(i));
      expect(got?.metadata).toEqual(i === 10_000 ? { big } : { i });
      expect(got?.customId).toBe(`req-${providerCustomIdOf(i)}`);
    }
  });
});

describe('PackedMembers set again', () => {
  const SLAB = 1 << 20;
  /** Metadata of about `bytes` bytes, so each set is a different size. */
  const sized = (bytes: number, n: number) => ({ n, pad: 'p'.repeat(bytes) });

  it('holds no more as the same id is set again and again, growing or shrinking', () => {
    const members = new PackedMembers('bl_1');
    const id = providerCustomIdOf(4);
    members.set('foreign-id', member('foreign-id'));
    let last = member(id);
    // 20,000 sets of up to ~2 KB: about 25 MB had every set kept its bytes.
    for (let n = 0; n < 20_000; n++) {
      last = member(id, { attempts: n, metadata: sized((n * 37) % 2_000, n) });
      members.set(id, last);
      expect(members.bytesHeld()).toBeLessThanOrEqual(3 * SLAB);
    }
    expect(members.size).toBe(2);
    expect(members.get(id)).toEqual(last);
    expect(members.get('foreign-id')).toEqual(member('foreign-id'));
  });

  it('reads every member back right after a compaction, and keeps appending after it', () => {
    const members = new PackedMembers('bl_1');
    const count = 3_000;
    const ids = [
      ...Array.from({ length: count }, (_, i) => providerCustomIdOf(i * 3)),
      'custom-a',
      'custom-b',
    ];
    const latest = new Map<string, BatchItem>();
    const setAll = (round: number) => {
      for (const [i, id] of ids.entries()) {
        // Growing every round, so every set after the first leaves dead bytes behind.
        const item = member(id, { attempts: round, metadata: sized(40 + round * 60 + (i % 7), i) });
        members.set(id, item);
        latest.set(id, item);
      }
    };
    setAll(0);
    let compactions = 0;
    let held = members.bytesHeld();
    for (let round = 1; round <= 12; round++) {
      setAll(round);
      if (members.bytesHeld() < held) compactions += 1;
      held = members.bytesHeld();
      for (const id of ids) expect(members.get(id)).toEqual(latest.get(id));
    }
    expect(compactions).toBeGreaterThan(0);
    let live = 0;
    for (const item of latest.values()) live += JSON.stringify(item).length;
    // Live tuples are smaller than the items' JSON; the slabs never hold more than about twice.
    expect(members.bytesHeld()).toBeLessThanOrEqual(2 * live + 2 * SLAB);
    expect(members.size).toBe(ids.length);
    expect([...members.values()]).toEqual([...latest.values()]);
    // Shrinking sets write in place; a new id after all that is found as any other.
    for (const id of ids) members.set(id, latest.get(id) ?? member(id));
    members.set(providerCustomIdOf(1), member(providerCustomIdOf(1)));
    expect(members.get(providerCustomIdOf(1))).toEqual(member(providerCustomIdOf(1)));
    expect(members.get(ids[0] ?? '')).toEqual(latest.get(ids[0] ?? ''));
  });

  it('compacts a member larger than a slab with the rest', () => {
    const members = new PackedMembers('bl_1');
    const big = member('big', { metadata: { big: 'x'.repeat(1_500_000) } });
    members.set('big', big);
    const id = providerCustomIdOf(2);
    let last = member(id);
    for (let n = 0; n < 8_000; n++) {
      last = member(id, { metadata: sized(500 + (n % 3) * 400, n) });
      members.set(id, last);
    }
    expect(members.get('big')).toEqual(big);
    expect(members.get(id)).toEqual(last);
    expect(members.bytesHeld()).toBeLessThanOrEqual(1_500_200 + 3 * SLAB);
  });
});

describe('MemberIdSet', () => {
  it('holds ids batchlane made and any other id, each once', () => {
    const set = new MemberIdSet();
    const ids = [
      providerCustomIdOf(0),
      providerCustomIdOf(70_000),
      'r42',
      'foreign',
      providerCustomIdOf(999_999_999),
    ];
    for (const id of ids) set.add(id);
    for (const id of ids) set.add(id);
    expect(set.size).toBe(ids.length);
    for (const id of ids) expect(set.has(id)).toBe(true);
    for (const id of [
      providerCustomIdOf(1),
      providerCustomIdOf(69_999),
      'r43',
      'r0000042',
      providerCustomIdOf(5_000_000),
    ]) {
      expect(set.has(id)).toBe(false);
    }
  });
});
