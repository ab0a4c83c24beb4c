import { describe, expect, it } from 'vitest';
import type { CostEntry } from '../../../shared/domain/costs/CostEntry.js';
import type { BatchFacts } from '../../../shared/domain/status/statusFacts.js';
import {
  type StatusInputs,
  summarizeStatus,
} from '../../../shared/domain/status/summarizeStatus.js';

const NOW = new Date('2026-12-06T12:00:00.000Z');

const batch = (id: string, overrides: Partial<BatchFacts> = {}): BatchFacts => ({
  batchId: id,
  provider: 'anthropic',
  models: ['claude-sonnet-4-6'],
  state: 'filling',
  requestCount: 10,
  createdAt: '2026-12-06T11:59:00.000Z',
  submittedAt: null,
  endedAt: null,
  completedAt: null,
  providerExpiresAt: null,
  counts: null,
  lastError: null,
  ...overrides,
});

const done = (id: string, submittedAt: string, endedAt: string, succeeded = 4): BatchFacts =>
  batch(id, {
    state: 'completed',
    requestCount: succeeded + 1,
    createdAt: '2026-12-06T10:00:00.000Z',
    submittedAt,
    endedAt,
    completedAt: endedAt.replace(
      /:(\d\d)\./,
      (_, s: string) => `:${String(Number(s) + 1).padStart(2, '0')}.`,
    ),
    counts: { succeeded, errored: 1, expired: 0, canceled: 0, rejected: 0, retried: 0 },
  });

const cost = (source: string, overrides: Partial<CostEntry> = {}): CostEntry => ({
  day: '2026-12-06',
  source,
  provider: 'anthropic',
  model: 'claude-sonnet-4-6',
  lane: 'batch',
  tag: '',
  requests: 5,
  inputTokens: 0,
  outputTokens: 0,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  nanoUsd: 1_000_000,
  realtimeNanoUsd: 2_000_000,
  ...overrides,
});

const inputs = (overrides: Partial<StatusInputs>): StatusInputs => ({
  now: NOW,
  range: { since: '2026-12-05', until: '2026-12-06' },
  active: [],
  recent: [],
  costs: [],
  parked: [],
  parkedTruncated: false,
  intake: null,
  settings: { maxRequestsPerBatch: null, batchMaxAgeSeconds: null },
  ...overrides,
});

describe('summarizeStatus', () => {
  it('shows each batch with its fill against the deployment cap, its age and state counts', () => {
    const status = summarizeStatus(
      inputs({
        active: [batch('bl_fill', { requestCount: 25 })],
        settings: { maxRequestsPerBatch: 100, batchMaxAgeSeconds: 30 },
      }),
    );
    expect(status.batches).toHaveLength(1);
    expect(status.batches[0]).toMatchObject({
      batch_id: 'bl_fill',
      state: 'filling',
      requests: 25,
      capacity: 100,
      fill: 0.25,
      age_seconds: 60,
      expected_end: null,
    });
    expect(status.batches_by_state['anthropic']?.filling).toBe(1);
    expect(status.batches_by_state.openai).toEqual({
      filling: 0,
      sealing: 0,
      open: 0,
      submitting: 0,
      submitted: 0,
      ended: 0,
      completed: 0,
    });
  });

  it("measures fill against the provider's own limit when the deployment sets no cap", () => {
    const status = summarizeStatus(
      inputs({ active: [batch('bl_o', { provider: 'openai', requestCount: 5_000 })] }),
    );
    expect(status.batches[0]).toMatchObject({ capacity: 50_000, fill: 0.1 });
  });

  it('expects an end from the median turnaround seen, else the provider deadline', () => {
    const history = [
      done('bl_1', '2026-12-06T10:00:00.000Z', '2026-12-06T10:01:00.000Z'),
      done('bl_2', '2026-12-06T10:00:00.000Z', '2026-12-06T10:02:00.000Z'),
      done('bl_3', '2026-12-06T10:00:00.000Z', '2026-12-06T10:10:00.000Z'),
    ];
    const status = summarizeStatus(
      inputs({
        recent: history,
        active: [
          batch('bl_sub', { state: 'submitted', submittedAt: '2026-12-06T11:59:30.000Z' }),
          batch('bl_filling', { createdAt: '2026-12-06T11:59:50.000Z' }),
          batch('bl_oa', {
            provider: 'openai',
            state: 'submitted',
            createdAt: '2026-12-06T10:59:00.000Z',
            submittedAt: '2026-12-06T11:00:00.000Z',
            providerExpiresAt: '2026-12-07T11:00:00.000Z',
          }),
        ],
        settings: { maxRequestsPerBatch: null, batchMaxAgeSeconds: 20 },
      }),
    );
    const row = (id: string) => status.batches.find((b) => b.batch_id === id);
    expect(row('bl_sub')).toMatchObject({
      expected_end: '2026-12-06T12:01:30.000Z',
      expected_end_basis: 'median turnaround of 3 anthropic batches',
    });
    // Sealed at creation + 20 s, then the median.
    expect(row('bl_filling')?.expected_end).toBe('2026-12-06T12:02:10.000Z');
    expect(row('bl_oa')).toMatchObject({
      expected_end: '2026-12-07T11:00:00.000Z',
      expected_end_basis: 'provider deadline',
    });
    expect(status.turnaround.providers).toEqual([
      {
        provider: 'anthropic',
        batches: 3,
        median_seconds: 120,
        p90_seconds: 600,
        max_seconds: 600,
      },
    ]);
    // Active first (oldest first), then completed (latest first).
    expect(status.batches.map((b) => b.batch_id)).toEqual([
      'bl_oa',
      'bl_sub',
      'bl_filling',
      'bl_3',
      'bl_2',
      'bl_1',
    ]);
  });

  it('sums results by outcome over the batches and requests by lane over the costs', () => {
    const status = summarizeStatus(
      inputs({
        recent: [
          done('bl_1', '2026-12-06T10:00:00.000Z', '2026-12-06T10:01:00.000Z', 4),
          done('bl_2', '2026-12-06T10:00:00.000Z', '2026-12-06T10:02:00.000Z', 6),
        ],
        costs: [
          cost('bl_1', { requests: 4 }),
          cost('bl_2', { requests: 6, lane: 'flex' }),
          cost('req:x', { requests: 1, lane: 'realtime' }),
        ],
      }),
    );
    expect(status.results.by_status).toEqual({
      succeeded: 10,
      errored: 2,
      expired: 0,
      canceled: 0,
      rejected: 0,
      retried: 0,
    });
    expect(status.results.by_lane).toEqual({ batch: 4, flex: 6, off_peak: 0, realtime: 1 });
  });

  it('draws cumulative cost, realtime price and savings at the time each source ended', () => {
    const status = summarizeStatus(
      inputs({
        recent: [
          done('bl_late', '2026-12-06T10:00:00.000Z', '2026-12-06T11:00:00.000Z'),
          done('bl_early', '2026-12-06T09:00:00.000Z', '2026-12-06T09:30:00.000Z'),
        ],
        costs: [
          cost('bl_late', { nanoUsd: 3_000_000, realtimeNanoUsd: 6_000_000 }),
          cost('bl_late', {
            model: 'claude-haiku-4-5',
            nanoUsd: 1_000_000,
            realtimeNanoUsd: 2_000_000,
          }),
          cost('bl_early'),
          // Known only by its day: in the totals, not on the time axis.
          cost('req:chat-1', { lane: 'realtime', nanoUsd: 500, realtimeNanoUsd: 500 }),
        ],
      }),
    );
    expect(status.costs).toEqual({
      cost_usd: 0.0050005,
      realtime_usd: 0.0100005,
      saved_usd: 0.005,
      series: [
        {
          at: '2026-12-06T09:30:00.000Z',
          cost_usd: 0.001,
          realtime_usd: 0.002,
          saved_usd: 0.001,
        },
        {
          at: '2026-12-06T11:00:00.000Z',
          cost_usd: 0.005,
          realtime_usd: 0.01,
          saved_usd: 0.005,
        },
      ],
      untimed: { requests: 5, cost_usd: 5e-7, realtime_usd: 5e-7, saved_usd: 0 },
    });
  });

  it('groups parked objects by the prefix replay takes, and passes the intake depth on', () => {
    const status = summarizeStatus(
      inputs({
        parked: [
          {
            key: 'parked/sqs/aaaa/bl_1/0.jsonl',
            destinationType: 'sqs',
            bytes: 100,
            lastModified: '2026-12-06T11:00:00.000Z',
          },
          {
            key: 'parked/sqs/aaaa/bl_2/0.jsonl',
            destinationType: 'sqs',
            bytes: 50,
            lastModified: '2026-12-06T10:00:00.000Z',
          },
          {
            key: 'parked/webhook/bbbb/bl_1/0.jsonl',
            destinationType: 'webhook',
            bytes: 7,
            lastModified: '2026-12-06T11:30:00.000Z',
          },
        ],
        parkedTruncated: true,
        intake: { waiting: 3, delayed: 12, inFlight: 1 },
      }),
    );
    expect(status.parked).toEqual({
      objects: 3,
      bytes: 157,
      truncated: true,
      prefixes: [
        {
          prefix: 'parked/sqs/aaaa/',
          destination_type: 'sqs',
          objects: 2,
          bytes: 150,
          oldest: '2026-12-06T10:00:00.000Z',
        },
        {
          prefix: 'parked/webhook/bbbb/',
          destination_type: 'webhook',
          objects: 1,
          bytes: 7,
          oldest: '2026-12-06T11:30:00.000Z',
        },
      ],
    });
    expect(status.intake).toEqual({ waiting: 3, held: 12, in_flight: 1 });
  });
});
