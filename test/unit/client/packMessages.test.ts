import { describe, expect, it } from 'vitest';
import { packMessages, SQS_MAX_BYTES_PER_CALL, sqsSafeJson } from '../../../client/packMessages.js';

const sized = (bytes: readonly number[]) => bytes.map((b, index) => ({ index, bytes: b }));
const indexes = (calls: { index: number }[][]) => calls.map((call) => call.map((m) => m.index));

describe('packMessages', () => {
  it('puts at most ten messages in a call, in order', () => {
    const calls = packMessages(sized(Array.from({ length: 25 }, () => 100)));
    expect(calls.map((c) => c.length)).toEqual([10, 10, 5]);
    expect(calls.flat().map((m) => m.index)).toEqual(Array.from({ length: 25 }, (_, i) => i));
  });

  it('closes a call before the next message would take it past 1 MiB in total', () => {
    const quarter = SQS_MAX_BYTES_PER_CALL / 4;
    const calls = packMessages(sized([quarter, quarter, quarter, quarter, 1, quarter + 1, 10]));
    expect(indexes(calls)).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6],
    ]);
    for (const call of calls) {
      expect(call.reduce((sum, m) => sum + m.bytes, 0)).toBeLessThanOrEqual(SQS_MAX_BYTES_PER_CALL);
    }
  });

  it('sends a message of exactly 1 MiB alone', () => {
    const calls = packMessages(sized([10, SQS_MAX_BYTES_PER_CALL, 10]));
    expect(indexes(calls)).toEqual([[0], [1], [2]]);
  });

  it('refuses to pack a message larger than a whole call', () => {
    expect(() => packMessages(sized([SQS_MAX_BYTES_PER_CALL + 1]))).toThrow(RangeError);
  });

  it('honours smaller limits, and packs nothing into no calls', () => {
    expect(indexes(packMessages(sized([5, 5, 5]), { maxEntries: 2 }))).toEqual([[0, 1], [2]]);
    expect(indexes(packMessages(sized([6, 5, 5]), { maxBytesPerCall: 10 }))).toEqual([[0], [1, 2]]);
    expect(packMessages([])).toEqual([]);
  });

  it('keeps every call within both limits for any mix of sizes', () => {
    const sizes = Array.from({ length: 500 }, (_, i) => ((i * 7919) % 300_000) + 1);
    const calls = packMessages(sized(sizes));
    expect(calls.flat()).toHaveLength(500);
    for (const call of calls) {
      expect(call.length).toBeLessThanOrEqual(10);
      expect(call.reduce((sum, m) => sum + m.bytes, 0)).toBeLessThanOrEqual(SQS_MAX_BYTES_PER_CALL);
    }
  });
});

describe('sqsSafeJson', () => {
  it('escapes the noncharacters SQS refuses, keeping the same JSON value', () => {
    const json = JSON.stringify({ text: 'a\uFFFEb\uFFFF' });
    const safe = sqsSafeJson(json);
    expect(safe).not.toMatch(/[\uFFFE\uFFFF]/);
    expect(JSON.parse(safe)).toEqual(JSON.parse(json));
  });
});
