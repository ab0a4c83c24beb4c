import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LineOutcome } from '../../../cli/sendRequests.js';
import { deadlinesFor } from '../../../cli/submitPlaceholders.js';
import { destinationOf, summarizeSubmission } from '../../../cli/summarizeSubmission.js';

const QUEUE = 'http://127.0.0.1:4566/000000000000/batchlane-intake';
const RESULTS = 'http://127.0.0.1:4566/000000000000/results';

describe('Function: destinationOf()', () => {
  it.each([
    [{ destination: { type: 'sqs', queue_url: RESULTS } }, `sqs ${RESULTS}`],
    [{ destination: { type: 's3', bucket: 'b', prefix: 'demo/' } }, 's3 s3://b/demo/'],
    [{ destination: { type: 'eventbridge', event_bus_name: 'bus' } }, 'eventbridge bus bus'],
    [{ destination: { type: 'webhook', url: 'https://h/x' } }, 'webhook https://h/x'],
    [{ destination: { type: 'ftp' } }, '(invalid destination)'],
    [{ destination: 'sqs' }, '(invalid destination)'],
    [{ custom_id: 'a' }, '(deployment default)'],
    [[1, 2], '(unreadable)'],
  ])('%j → %s', (request, expected) => {
    expect(destinationOf(JSON.stringify(request))).toBe(expected);
  });

  it('calls a line that is not JSON unreadable', () => {
    expect(destinationOf('{not json')).toBe('(unreadable)');
  });
});

describe('Function: summarizeSubmission()', () => {
  it('says how many were sent, by destination, and which lines SQS refused with its code', () => {
    const lines = [
      JSON.stringify({ destination: { type: 'sqs', queue_url: RESULTS } }),
      JSON.stringify({ destination: { type: 'sqs', queue_url: RESULTS } }),
      JSON.stringify({ destination: { type: 's3', bucket: 'b', prefix: 'p/' } }),
      'x'.repeat(10),
    ];
    const outcomes: LineOutcome[] = [
      { index: 0, sent: true, messageId: 'm0' },
      { index: 1, sent: true, messageId: 'm1' },
      { index: 2, sent: true, messageId: 'm2' },
      {
        index: 3,
        sent: false,
        code: 'InvalidParameterValue',
        message: 'too long',
        retryable: false,
      },
    ];
    expect(summarizeSubmission({ file: 'f.jsonl', queueUrl: QUEUE, lines, outcomes })).toEqual([
      `sent 3 of 4 request messages from f.jsonl to ${QUEUE}`,
      '  by destination:',
      `         2  sqs ${RESULTS}`,
      '         1  s3 s3://b/p/',
      '  refused at send: 1',
      '    line 4: InvalidParameterValue too long',
    ]);
  });
});

describe('Function: deadlinesFor()', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const memory = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'batchlane-placeholders-'));
    dirs.push(dir);
    return join(dir, 'placeholders.json');
  };

  it('fills the same deadlines for a second submit of the same file to the same queue', () => {
    const path = memory();
    const first = deadlinesFor({
      queueUrl: QUEUE,
      file: 'a.jsonl',
      now: new Date('2026-12-06T10:00:00Z'),
      path,
    });
    expect(first).toEqual({
      values: {
        deadline_soon: '2026-12-06T12:00:00.000Z',
        deadline_later: '2026-12-09T10:00:00.000Z',
      },
      reusedFrom: null,
    });
    const second = deadlinesFor({
      queueUrl: QUEUE,
      file: 'a.jsonl',
      now: new Date('2026-12-06T10:40:00Z'),
      path,
    });
    expect(second).toEqual({ values: first.values, reusedFrom: '2026-12-06T10:00:00.000Z' });
    expect(JSON.parse(readFileSync(path, 'utf8'))).toHaveProperty([`${QUEUE} a.jsonl`]);
  });

  it('fills new deadlines for another file, another queue, --fresh-deadlines, or once less than an hour is left', () => {
    const path = memory();
    const at = new Date('2026-12-06T10:00:00Z');
    deadlinesFor({ queueUrl: QUEUE, file: 'a.jsonl', now: at, path });
    const later = new Date('2026-12-06T10:30:00Z');
    expect(
      deadlinesFor({ queueUrl: QUEUE, file: 'b.jsonl', now: later, path }).reusedFrom,
    ).toBeNull();
    expect(
      deadlinesFor({ queueUrl: RESULTS, file: 'a.jsonl', now: later, path }).reusedFrom,
    ).toBeNull();
    const fresh = deadlinesFor({ queueUrl: QUEUE, file: 'a.jsonl', now: later, path, fresh: true });
    expect(fresh).toMatchObject({
      reusedFrom: null,
      values: { deadline_soon: '2026-12-06T12:30:00.000Z' },
    });
    // The remembered deadline_soon (12:30) is under an hour ahead at 11:45: new values.
    const late = deadlinesFor({
      queueUrl: QUEUE,
      file: 'a.jsonl',
      now: new Date('2026-12-06T11:45:00Z'),
      path,
    });
    expect(late).toMatchObject({
      reusedFrom: null,
      values: { deadline_soon: '2026-12-06T13:45:00.000Z' },
    });
  });
});
