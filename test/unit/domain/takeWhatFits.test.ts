import { describe, expect, it } from 'vitest';
import { takeWhatFits } from '../../../shared/domain/takeWhatFits.js';

const lines = (...bytes: number[]) => bytes.map((lineBytes) => ({ lineBytes }));

describe('takeWhatFits', () => {
  it('takes requests in order until the count or the bytes would be exceeded', () => {
    expect(takeWhatFits(lines(10, 10, 10), { requests: 2, bytes: 1000 })).toBe(2);
    expect(takeWhatFits(lines(10, 10, 10), { requests: 10, bytes: 25 })).toBe(2);
    expect(takeWhatFits(lines(10, 10, 10), { requests: 10, bytes: 30 })).toBe(3);
  });

  it('never skips ahead: a large request stops the run even if smaller ones would fit', () => {
    expect(takeWhatFits(lines(10, 500, 10), { requests: 10, bytes: 100 })).toBe(1);
  });

  it('takes nothing from a full batch or an empty list', () => {
    expect(takeWhatFits(lines(10), { requests: 0, bytes: 100 })).toBe(0);
    expect(takeWhatFits(lines(10), { requests: 5, bytes: 9 })).toBe(0);
    expect(takeWhatFits([], { requests: 5, bytes: 100 })).toBe(0);
  });
});
