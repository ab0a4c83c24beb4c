import { describe, expect, it } from 'vitest';
import {
  decodePartMember,
  destinationInterner,
  encodePartMember,
  partMembersKeyOf,
} from '../../../shared/domain/partMembers.js';
import type { BatchItem } from '../../../shared/domain/records.js';

const member = (index: number, overrides: Partial<BatchItem> = {}): BatchItem => ({
  batchId: 'bl_1',
  providerCustomId: `r${String(index).padStart(6, '0')}`,
  producer: 'team-a',
  customId: `req-${index}`,
  model: 'claude-haiku-4-5',
  destination: { type: 's3', bucket: 'results', prefix: 'out/' },
  metadata: { n: index, ünï: ['x', null, { deep: true }], '': 'empty key' },
  attempts: 1,
  acceptedAt: '2026-12-06T10:00:00.000Z',
  deadline: '2026-12-07T10:00:00.000Z',
  status: null,
  deliveredAt: null,
  escalatedAt: null,
  lane: { requested: 'auto', reason: 'deadline in 24 h' },
  cost: null,
  ...overrides,
});

describe('part sidecar lines', () => {
  it('keeps a part sidecar beside its lines, under the same number', () => {
    expect(partMembersKeyOf('bl_1', 7)).toBe('batches/bl_1/parts/000007.members.jsonl');
  });

  it('reads back every field completion routes by, and the claim it is settled from', () => {
    const line = encodePartMember({
      item: member(3),
      requestHash: 'abc',
      expiresAt: 1_900_000_000,
    });
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toContain('\n');
    expect(decodePartMember('bl_1', line.trim())).toEqual({
      item: member(3),
      requestHash: 'abc',
      expiresAt: 1_900_000_000,
    });
  });

  it('reads null destination, metadata and deadline as null', () => {
    const item = member(4, { destination: null, metadata: null, deadline: null });
    const line = encodePartMember({ item, requestHash: 'h', expiresAt: 1 });
    expect(decodePartMember('bl_1', line).item).toEqual(item);
  });

  it('keeps one object per distinct destination when asked to', () => {
    const intern = destinationInterner();
    const [a, b, c] = [1, 2, 3].map(
      (i) =>
        decodePartMember(
          'bl_1',
          encodePartMember({
            item: member(i, i === 3 ? { destination: { type: 'sqs', queue_url: 'q' } } : {}),
            requestHash: 'h',
            expiresAt: 1,
          }),
          intern,
        ).item.destination,
    );
    expect(a).toBe(b);
    expect(c).not.toBe(a);
    expect(c).toEqual({ type: 'sqs', queue_url: 'q' });
  });

  it('refuses a line that does not name a member', () => {
    expect(() => decodePartMember('bl_1', '{"i":"r000001"}')).toThrow(/malformed member line/);
  });
});
