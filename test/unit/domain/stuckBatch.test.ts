import { describe, expect, it } from 'vitest';
import {
  DEFAULT_STUCK_SETTINGS,
  isStartedStatus,
  policyOf,
  type StuckBatchSettings,
  type StuckInput,
  stuckVerdictOf,
} from '../../../shared/domain/stuckBatch.js';
import type { TurnaroundStats } from '../../../shared/domain/turnaround.js';

const HOUR = 3_600_000;
const SUBMITTED = '2026-12-01T00:00:00.000Z';
const at = (hours: number): Date => new Date(Date.parse(SUBMITTED) + hours * HOUR);

const settings: StuckBatchSettings = {
  ...DEFAULT_STUCK_SETTINGS,
  floorMs: 6 * HOUR,
  minHistory: 20,
};

const stats = (batches: number, p50h: number, p90h: number, p99h: number): TurnaroundStats => ({
  provider: 'gemini',
  model: 'gemini-2.5-flash',
  batches,
  p50Ms: p50h * HOUR,
  p90Ms: p90h * HOUR,
  p99Ms: p99h * HOUR,
});

const input = (overrides: Partial<StuckInput>): StuckInput => ({
  now: at(1),
  submittedAt: SUBMITTED,
  progressAt: null,
  providerExpiresAt: at(24).toISOString(),
  earliestDeadline: null,
  stats: null,
  ...overrides,
});

describe('stuckVerdictOf: no progress beyond the p99 turnaround', () => {
  const history = stats(50, 1, 2, 3);

  it('is not stuck within the p99 of a trusted history', () => {
    expect(stuckVerdictOf(input({ now: at(2.9), stats: history }), settings)).toBeNull();
  });

  it('is stuck past the p99, and says what the limit rests on', () => {
    expect(stuckVerdictOf(input({ now: at(3.1), stats: history }), settings)).toEqual({
      reason: 'no_progress',
      sinceAt: SUBMITTED,
      limitMs: 3 * HOUR,
      basisBatches: 50,
      deadline: null,
    });
  });

  it('counts from the last new provider status, not from submission', () => {
    const progressAt = at(2).toISOString();
    expect(
      stuckVerdictOf(input({ now: at(4.5), progressAt, stats: history }), settings),
    ).toBeNull();
    expect(
      stuckVerdictOf(input({ now: at(5.1), progressAt, stats: history }), settings),
    ).toMatchObject({ reason: 'no_progress', sinceAt: progressAt });
  });
});

describe('stuckVerdictOf: the floor while history is thin', () => {
  it('uses the floor, not a p99 resting on fewer batches than minHistory', () => {
    const thin = stats(5, 0.5, 0.8, 1);
    expect(stuckVerdictOf(input({ now: at(2), stats: thin }), settings)).toBeNull();
    expect(stuckVerdictOf(input({ now: at(6.1), stats: thin }), settings)).toEqual({
      reason: 'no_progress',
      sinceAt: SUBMITTED,
      limitMs: 6 * HOUR,
      basisBatches: null,
      deadline: null,
    });
  });

  it('uses the floor without any history', () => {
    expect(stuckVerdictOf(input({ now: at(5.9) }), settings)).toBeNull();
    expect(stuckVerdictOf(input({ now: at(6.1) }), settings)?.reason).toBe('no_progress');
  });
});

describe('stuckVerdictOf: deadlines the batch will pass', () => {
  it('with history: its p90 end is past a deadline and it has run longer than its p50', () => {
    const history = stats(50, 1, 4, 8);
    const deadline = at(3).toISOString();
    // Not yet past its typical end: it may still make it.
    expect(
      stuckVerdictOf(input({ now: at(0.9), earliestDeadline: deadline, stats: history }), settings),
    ).toBeNull();
    expect(
      stuckVerdictOf(input({ now: at(1.1), earliestDeadline: deadline, stats: history }), settings),
    ).toMatchObject({ reason: 'deadline', deadline, basisBatches: 50 });
  });

  it('with history: a deadline after its p90 end is no reason', () => {
    const history = stats(50, 1, 2, 8);
    expect(
      stuckVerdictOf(
        input({ now: at(1.5), earliestDeadline: at(5).toISOString(), stats: history }),
        settings,
      ),
    ).toBeNull();
  });

  it('without history: stalled for longer than the time left before the deadline', () => {
    const deadline = at(3).toISOString();
    expect(stuckVerdictOf(input({ now: at(1), earliestDeadline: deadline }), settings)).toBeNull();
    // 2 h without progress, 1 h left: at this pace it will not make it.
    expect(
      stuckVerdictOf(input({ now: at(2), earliestDeadline: deadline }), settings),
    ).toMatchObject({ reason: 'deadline', deadline, basisBatches: null });
  });

  it('without history: a provider expiry before the deadline is no reason', () => {
    expect(
      stuckVerdictOf(
        input({
          now: at(2),
          providerExpiresAt: at(2.5).toISOString(),
          earliestDeadline: at(3).toISOString(),
        }),
        settings,
      ),
    ).toBeNull();
  });
});

describe('policies and statuses', () => {
  it('takes the provider policy, else the default', () => {
    const configured: StuckBatchSettings = {
      ...settings,
      policies: { gemini: 'cancel_resubmit', anthropic: 'escalate' },
      defaultPolicy: 'leave',
    };
    expect(policyOf(configured, 'gemini')).toBe('cancel_resubmit');
    expect(policyOf(configured, 'anthropic')).toBe('escalate');
    expect(policyOf(configured, 'openai')).toBe('leave');
  });

  it('knows every provider word for a running batch', () => {
    for (const running of [
      'in_progress',
      'IN_PROGRESS',
      'finalizing',
      'BATCH_STATE_RUNNING',
      'JOB_STATE_RUNNING',
      'InProgress',
      'RUNNING',
    ]) {
      expect(isStartedStatus(running), running).toBe(true);
    }
    for (const waiting of [
      null,
      'validating',
      'BATCH_STATE_PENDING',
      'Submitted',
      'Scheduled',
      'QUEUED',
      'canceling',
    ]) {
      expect(isStartedStatus(waiting), String(waiting)).toBe(false);
    }
  });
});
