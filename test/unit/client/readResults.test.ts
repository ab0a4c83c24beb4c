import { describe, expect, it } from 'vitest';
import { parseDelivery, parseResultLines } from '../../../client/readResults.js';
import type { ResultV1 } from '../../../shared/contract/result.js';

const result: ResultV1 = {
  schema: 'batchlane.result.v1',
  custom_id: 'r-1',
  status: 'succeeded',
  provider: 'openai',
  endpoint: '/v1/chat/completions',
  model: 'gpt-4o-mini',
  batch_id: 'bl_1',
  provider_batch_id: 'batch_1',
  response: { id: 'x' },
  error: null,
  usage: {
    input_tokens: 1,
    output_tokens: 2,
    cache_read_input_tokens: 0,
    cache_creation_input_tokens: 0,
  },
  cost: {
    usd: 0.1,
    realtime_usd: 0.2,
    saved_usd: 0.1,
    basis: 'usage',
    billed_as: 'batch',
    price_version: 'v',
  },
  lane: { requested: 'batch', served_by: 'batch', reason: 'tier batch' },
  attempts: 1,
  metadata: { run: 1 },
  accepted_at: null,
  submitted_at: null,
  ended_at: null,
  delivered_at: '2026-12-01T00:00:00.000Z',
};
const pointer = {
  schema: 'batchlane.result-pointer.v1',
  custom_id: 'r-2',
  status: 'succeeded',
  s3_uri: 's3://artifacts/results/oversize/bl_1/0/abc.json',
};
const envelope = (detailType: string, detail: unknown, source = 'batchlane') => ({
  version: '0',
  id: 'ev-1',
  'detail-type': detailType,
  source,
  account: '123456789012',
  time: '2026-12-01T00:00:00Z',
  region: 'eu-west-1',
  resources: [],
  detail,
});
const rejected = {
  custom_id: 'bad-1',
  reason: { code: 'invalid_body', message: 'body.messages: required', issues: [] },
  message_id: 'm-1',
  result_delivered: true,
  rejected_at: '2026-12-01T00:00:00Z',
};

describe('parseDelivery', () => {
  it('reads a result message and a result pointer', () => {
    expect(parseDelivery(JSON.stringify(result))).toEqual({ kind: 'result', result });
    expect(parseDelivery(JSON.stringify(pointer))).toEqual({ kind: 'result-pointer', pointer });
  });

  it('reads a Request Result event, a Request Rejected event and the other lifecycle events', () => {
    expect(parseDelivery(JSON.stringify(envelope('Request Result', result)))).toMatchObject({
      kind: 'result-event',
      envelope: { id: 'ev-1', source: 'batchlane' },
      detail: result,
    });
    const read = parseDelivery(envelope('Request Rejected', rejected));
    expect(read).toMatchObject({
      kind: 'event',
      event: { detailType: 'Request Rejected', detail: rejected },
    });
    if (read.kind === 'event' && read.event.detailType === 'Request Rejected') {
      // The detail is typed by its detail-type.
      expect(read.event.detail.reason.code).toBe('invalid_body');
    }
    const held = {
      reason: 'budget_daily',
      provider: 'openai',
      model: 'gpt-4o-mini',
      requests: 3,
      custom_ids: ['a'],
      retry_in_seconds: 60,
      held_at: 'now',
    };
    expect(parseDelivery(envelope('Requests Held', held))).toMatchObject({
      kind: 'event',
      event: { detailType: 'Requests Held', detail: held },
    });
  });

  it('says what does not fit, without throwing', () => {
    expect(parseDelivery('not json')).toEqual({ kind: 'unknown', reason: 'not JSON' });
    expect(parseDelivery('[1]')).toEqual({ kind: 'unknown', reason: 'not a JSON object' });
    expect(parseDelivery(JSON.stringify({ ...result, status: 'done' }))).toMatchObject({
      kind: 'unknown',
      reason: expect.stringContaining('status'),
    });
    expect(parseDelivery(envelope('Request Rejected', rejected, 'aws.s3'))).toMatchObject({
      kind: 'unknown',
      reason: expect.stringContaining('not batchlane'),
    });
    expect(parseDelivery(envelope('Something New', {}))).toMatchObject({
      kind: 'unknown',
      reason: 'unknown detail-type Something New',
    });
    expect(
      parseDelivery(envelope('Request Rejected', { ...rejected, reason: { code: 'nope' } })),
    ).toMatchObject({
      kind: 'unknown',
      reason: expect.stringContaining('Request Rejected detail'),
    });
  });

  it("reads every line of an s3 destination's object", () => {
    const text = `${JSON.stringify(result)}\n${JSON.stringify(pointer)}\n\n`;
    expect(parseResultLines(text).map((d) => d.kind)).toEqual(['result', 'result-pointer']);
  });
});
