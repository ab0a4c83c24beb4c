import { describe, expect, it } from 'vitest';
import {
  expectedEndOf,
  turnaroundModelOf,
  turnaroundStatsOf,
} from '../../../shared/domain/turnaround.js';
import { timesOf } from '../../contract/TurnaroundLogContract.js';
import { InMemoryTurnaroundLog } from '../../support/fakes/InMemoryTurnaroundLog.js';

describe('expected end from recorded history', () => {
  it('expects a new batch to end at its model’s p50, likely by its p90, and says on what', async () => {
    const log = new InMemoryTurnaroundLog();
    const start = Date.parse('2026-12-01T00:00:00Z');
    for (const minutes of [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]) {
      await log.record(timesOf('gpt-4o-mini', start, minutes));
    }
    const expected = expectedEndOf(
      '2026-12-06T12:00:00.000Z',
      await log.turnaroundOf('openai', 'gpt-4o-mini'),
    );
    expect(expected).toEqual({
      expectedEndAt: '2026-12-06T12:50:00.000Z',
      likelyBy: '2026-12-06T13:30:00.000Z',
      basis: { batches: 10, provider: 'openai', model: 'gpt-4o-mini' },
    });
  });

  it('expects nothing without history', () => {
    expect(expectedEndOf('2026-12-06T12:00:00.000Z', null)).toBeNull();
    expect(turnaroundStatsOf('openai', 'm', [])).toBeNull();
  });

  it('keys a batch by its one model, or * for several', () => {
    expect(turnaroundModelOf(['a'])).toBe('a');
    expect(turnaroundModelOf(['a', 'b'])).toBe('*');
  });
});
