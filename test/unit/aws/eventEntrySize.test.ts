import { describe, expect, it } from 'vitest';
import { eventEntrySize, MAX_EVENT_BYTES } from '../../../shared/adapters/aws/eventEntrySize.js';

describe('Function: eventEntrySize()', () => {
  it('counts Source, DetailType, Detail and Resources in UTF-8 bytes, and 14 for a Time', () => {
    const entry = { Source: 'batchlane', DetailType: 'Request Result', Detail: '{"é":1}' };
    expect(eventEntrySize(entry)).toBe(9 + 14 + 8);
    expect(eventEntrySize({ ...entry, Time: new Date(0) })).toBe(9 + 14 + 8 + 14);
    expect(eventEntrySize({ ...entry, Resources: ['arn:a', 'arn:bc'] })).toBe(31 + 5 + 6);
  });

  it('counts what is not text as nothing, as it arrives on the wire unchecked', () => {
    expect(eventEntrySize({ Source: 7, Detail: { a: 1 }, Resources: 'x' })).toBe(0);
    expect(eventEntrySize({ Resources: ['ab', 3] })).toBe(2);
  });

  it('is the 256 KB EventBridge limit', () => {
    expect(MAX_EVENT_BYTES).toBe(262_144);
  });
});
