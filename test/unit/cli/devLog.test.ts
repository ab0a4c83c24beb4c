import { describe, expect, it } from 'vitest';
import { describeEvent, describeFunctionOutput } from '../../../cli/devLog.js';

const envelope = (detailType: string, detail: object) => ({
  version: '0',
  id: 'e1',
  source: 'batchlane',
  'detail-type': detailType,
  account: '000000000000',
  region: 'us-east-1',
  time: '2026-12-06T12:00:00Z',
  resources: [],
  detail,
});

describe('Function: describeEvent()', () => {
  it.each([
    [
      envelope('Request Rejected', {
        custom_id: 'eval-1',
        message_id: 'm-1',
        reason: {
          code: 'conflicting_resend',
          message: 'custom_id was used for another request',
          issues: [],
        },
        result_delivered: true,
        rejected_at: 'x',
      }),
      'rejected   eval-1 (message m-1): conflicting_resend: custom_id was used for another request; a rejected result went to its destination',
    ],
    [
      envelope('Request Rejected', {
        custom_id: null,
        message_id: 'm-2',
        reason: { code: 'malformed_json', message: 'not JSON', issues: [] },
        result_delivered: false,
      }),
      'rejected   message m-2 (no readable custom_id): malformed_json: not JSON; no result: only this event',
    ],
    [
      envelope('Requests Held', {
        reason: 'quota_tokens',
        provider: 'openai',
        model: 'gpt-4o-mini',
        requests: 25,
        retry_in_seconds: 60,
      }),
      'held       25 openai gpt-4o-mini requests (quota_tokens); retried in 60 s',
    ],
    [
      envelope('Batch Submitted', {
        batch_id: 'bl_1',
        provider: 'anthropic',
        provider_batch_id: 'msgbatch_1',
        request_count: 60,
      }),
      'submitted  bl_1 to anthropic as msgbatch_1: 60 requests',
    ],
    [
      envelope('Batch Ended', {
        batch_id: 'bl_1',
        provider: 'openai',
        counts: { succeeded: 58, errored: 2, expired: 0, canceled: 0, retried: 0 },
        cost: { usd: 0.0012, saved_usd: 0.0012 },
      }),
      'ended      bl_1 at openai: 58 succeeded, 2 errored; cost 0.0012 USD, saved 0.0012 USD',
    ],
    [
      envelope('Batch Delivered', {
        batch_id: 'bl_1',
        counts: { succeeded: 58, errored: 0, retried: 2 },
        retry_batch_ids: ['bl_2'],
      }),
      'delivered  bl_1: 58 succeeded, 2 retried; retried in bl_2',
    ],
    [
      envelope('Request Completed', {
        custom_id: 'c1',
        status: 'succeeded',
        lane: 'flex',
        destination_type: 'sqs',
      }),
      'completed  c1: succeeded by the flex lane to sqs',
    ],
    [envelope('Something New', {}), 'event      Something New'],
  ])('%#: %s', (event, expected) => {
    expect(describeEvent(event)).toBe(expected);
  });

  it('ignores events that are not batchlane’s', () => {
    expect(describeEvent({ ...envelope('Request Result', {}), source: 'aws.s3' })).toBeNull();
    expect(describeEvent('text')).toBeNull();
  });
});

const emf = (metrics: Record<string, number | number[]>, dimensions: Record<string, string> = {}) =>
  JSON.stringify({
    _aws: {
      Timestamp: 1,
      CloudWatchMetrics: [
        {
          Namespace: 'batchlane',
          Dimensions: [['service', ...Object.keys(dimensions)]],
          Metrics: Object.keys(metrics).map((Name) => ({ Name, Unit: 'Count' })),
        },
      ],
    },
    service: 'batchlane',
    ...dimensions,
    ...metrics,
  });

describe('Function: describeFunctionOutput()', () => {
  it('reads accepted and folded counts from the collector’s metrics', () => {
    expect(
      describeFunctionOutput('collector', emf({ RequestsAccepted: 97, RequestsFolded: 3 })),
    ).toEqual(['accepted   97 requests (3 identical resends folded)']);
    expect(describeFunctionOutput('collector', emf({ RequestsAccepted: [40, 60] }))).toEqual([
      'accepted   100 requests',
    ]);
    // Nothing accepted or folded (an invocation of rejections only): no line.
    expect(
      describeFunctionOutput('collector', emf({ RequestsAccepted: 0, RequestsFolded: 0 })),
    ).toEqual([]);
    // Other metrics say nothing here (events cover them).
    expect(
      describeFunctionOutput('completion', emf({ BatchesDelivered: 1 }, { provider: 'openai' })),
    ).toEqual([]);
  });

  it('turns the sealed and parked logs into one line each', () => {
    const log = (fields: object) =>
      JSON.stringify({ level: 'INFO', timestamp: 't', service: 'batchlane', ...fields });
    expect(
      describeFunctionOutput(
        'collector',
        log({ message: 'batch sealed', batchId: 'bl_1', reason: 'full', requests: 100, parts: 2 }),
      ),
    ).toEqual(['sealed     bl_1: 100 requests in 2 parts (full)']);
    expect(
      describeFunctionOutput(
        'completion',
        log({
          level: 'WARN',
          message: 'results parked for replay',
          batchId: 'bl_1',
          destination: 'sqs',
          results: 5,
        }),
      ),
    ).toEqual([
      'parked     5 results of bl_1: their sqs destination refused them; `batchlane replay` sends them again',
    ]);
    expect(
      describeFunctionOutput('poller', log({ message: 'batch ended at the provider' })),
    ).toEqual([]);
  });

  it('shows every warning and error, and plain text as it is', () => {
    expect(
      describeFunctionOutput(
        'completion',
        JSON.stringify({
          level: 'WARN',
          message: 'results not delivered',
          error: 'QueueDoesNotExist',
        }),
      ),
    ).toEqual(['completion warn: results not delivered (QueueDoesNotExist)']);
    expect(describeFunctionOutput('realtime', 'a plain line')).toEqual(['realtime   a plain line']);
    expect(describeFunctionOutput('realtime', '   ')).toEqual([]);
  });
});
