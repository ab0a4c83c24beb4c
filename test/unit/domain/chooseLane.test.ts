import { describe, expect, it } from 'vitest';
import { chooseLane } from '../../../shared/domain/chooseLane.js';
import { escalateAtOf } from '../../../shared/domain/escalateAtOf.js';

const HOUR = 3_600_000;
const policy = { batchWindowMs: 24 * HOUR, batchMarginMs: HOUR };
const now = new Date('2026-11-26T12:00:00.000Z');
const at = (hoursFromNow: number): string =>
  new Date(now.getTime() + hoursFromNow * HOUR).toISOString();

describe('chooseLane', () => {
  it('keeps the lane the caller chose for batch and flex', () => {
    expect(chooseLane({ tier: 'batch', deadline: at(1) }, true, now, policy)).toEqual({
      lane: 'batch',
      requested: 'batch',
      reason: 'tier batch',
    });
    expect(chooseLane({ tier: 'flex' }, true, now, policy).lane).toBe('flex');
  });

  it('sends auto to the batch lane when the deadline leaves the window and the margin', () => {
    const choice = chooseLane({ tier: 'auto', deadline: at(25) }, true, now, policy);
    expect(choice.lane).toBe('batch');
    expect(choice.requested).toBe('auto');
    expect(choice.reason).toBe(
      'auto: deadline in 25.0 h leaves room for the 24.0 h batch window and 1.0 h margin',
    );
  });

  it('sends auto with a short deadline to flex where it exists, standard realtime elsewhere', () => {
    const flex = chooseLane({ tier: 'auto', deadline: at(24.9) }, true, now, policy);
    expect(flex.lane).toBe('flex');
    expect(flex.reason).toContain('inside the 25.0 h a batch may need; flex');
    const realtime = chooseLane({ tier: 'auto', deadline: at(2) }, false, now, policy);
    expect(realtime.lane).toBe('realtime');
    expect(realtime.reason).toContain('standard realtime');
  });

  it('treats auto without a usable deadline as batch', () => {
    expect(chooseLane({ tier: 'auto' }, true, now, policy).lane).toBe('batch');
  });
});

describe('escalateAtOf', () => {
  it('is the earliest auto deadline less the lead, ignoring batch members', () => {
    const members = [
      { lane: { requested: 'auto' as const }, deadline: at(5) },
      { lane: { requested: 'batch' as const }, deadline: at(1) },
      { lane: { requested: 'auto' as const }, deadline: at(3) },
      { lane: { requested: 'auto' as const }, deadline: null },
    ];
    expect(escalateAtOf(members, HOUR)).toBe(at(2));
  });

  it('is null when no auto member has a deadline', () => {
    expect(escalateAtOf([{ lane: { requested: 'batch' }, deadline: at(1) }], HOUR)).toBeNull();
  });
});
