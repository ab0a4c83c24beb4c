import { describe, expect, it } from 'vitest';
import {
  InvalidEventPatternError,
  matchesEventPattern,
  parseEventPattern,
} from '../../../local/stack/emulators/eventPattern.js';

/** An envelope as EventBridge hands it to rules. */
const EVENT = {
  version: '0',
  id: 'e-1',
  'detail-type': 'Request Rejected',
  source: 'batchlane',
  account: '000000000000',
  time: '2026-12-06T12:00:00Z',
  region: 'us-east-1',
  resources: ['arn:aws:sqs:us-east-1:000000000000:intake', 'arn:aws:s3:::bucket'],
  detail: {
    custom_id: 'eval-0042',
    message_id: 'm-1',
    reason: { code: 'invalid_body', message: 'model is required', issues: [] },
    request_count: 250,
    ratio: 0.5,
    result_delivered: true,
    provider: null,
    tags: ['nightly', 'Eval'],
    items: [
      { kind: 'a', size: 3 },
      { kind: 'b', size: 30 },
    ],
    empty: {},
  },
};

const matches = (pattern: object, event: object = EVENT): boolean =>
  matchesEventPattern(parseEventPattern(JSON.stringify(pattern)), event);

describe('Function: matchesEventPattern()', () => {
  it.each([
    // exact values
    ['exact string', { source: ['batchlane'] }, true],
    ['exact string, one of several', { 'detail-type': ['Batch Ended', 'Request Rejected'] }, true],
    ['exact string, none', { 'detail-type': ['Batch Ended'] }, false],
    ['exact is case sensitive', { source: ['Batchlane'] }, false],
    ['exact number', { detail: { request_count: [250] } }, true],
    [
      'exact number equals the same number written otherwise',
      { detail: { request_count: [2.5e2] } },
      true,
    ],
    ['a number does not match its string', { detail: { request_count: ['250'] } }, false],
    ['exact boolean', { detail: { result_delivered: [true] } }, true],
    ['exact null', { detail: { provider: [null] } }, true],
    ['null does not match a missing field', { detail: { nothing: [null] } }, false],
    [
      'two fields must both match',
      { source: ['batchlane'], 'detail-type': ['Batch Ended'] },
      false,
    ],
    // nested fields
    ['nested field', { detail: { reason: { code: ['invalid_body'] } } }, true],
    ['nested field, other value', { detail: { reason: { code: ['conflicting_resend'] } } }, false],
    ['nested pattern on a missing object', { detail: { nope: { code: ['x'] } } }, false],
    // arrays in the event: any element
    ['array: any element', { detail: { tags: ['nightly'] } }, true],
    ['array: no element', { detail: { tags: ['weekly'] } }, false],
    ['resources: any element', { resources: ['arn:aws:s3:::bucket'] }, true],
    ['field inside an array of objects', { detail: { items: { kind: ['b'] } } }, true],
    ['field inside an array of objects, none', { detail: { items: { kind: ['c'] } } }, false],
    // prefix / suffix
    ['prefix', { detail: { custom_id: [{ prefix: 'eval-' }] } }, true],
    ['prefix, no', { detail: { custom_id: [{ prefix: 'grade-' }] } }, false],
    ['prefix is case sensitive', { detail: { custom_id: [{ prefix: 'EVAL-' }] } }, false],
    [
      'prefix equals-ignore-case',
      { detail: { custom_id: [{ prefix: { 'equals-ignore-case': 'EVAL-' } }] } },
      true,
    ],
    ['prefix never matches a number', { detail: { request_count: [{ prefix: '2' }] } }, false],
    ['suffix', { 'detail-type': [{ suffix: 'Rejected' }] }, true],
    ['suffix, no', { 'detail-type': [{ suffix: 'Ended' }] }, false],
    [
      'suffix equals-ignore-case',
      { 'detail-type': [{ suffix: { 'equals-ignore-case': 'REJECTED' } }] },
      true,
    ],
    // equals-ignore-case
    ['equals-ignore-case', { 'detail-type': [{ 'equals-ignore-case': 'request REJECTED' }] }, true],
    ['equals-ignore-case, no', { 'detail-type': [{ 'equals-ignore-case': 'request' }] }, false],
    // anything-but
    [
      'anything-but a value',
      { detail: { reason: { code: [{ 'anything-but': 'conflicting_resend' }] } } },
      true,
    ],
    [
      'anything-but the value itself',
      { detail: { reason: { code: [{ 'anything-but': 'invalid_body' }] } } },
      false,
    ],
    ['anything-but a list', { source: [{ 'anything-but': ['aws.s3', 'batchlane'] }] }, false],
    [
      'anything-but a number list',
      { detail: { request_count: [{ 'anything-but': [1, 2] }] } },
      true,
    ],
    ['anything-but a number', { detail: { request_count: [{ 'anything-but': 250 }] } }, false],
    [
      'anything-but prefix',
      { detail: { custom_id: [{ 'anything-but': { prefix: 'test-' } }] } },
      true,
    ],
    [
      'anything-but prefix, excluded',
      { detail: { custom_id: [{ 'anything-but': { prefix: 'eval-' } }] } },
      false,
    ],
    [
      'anything-but suffix',
      { detail: { custom_id: [{ 'anything-but': { suffix: '42' } }] } },
      false,
    ],
    [
      'anything-but equals-ignore-case list',
      { source: [{ 'anything-but': { 'equals-ignore-case': ['BATCHLANE', 'x'] } }] },
      false,
    ],
    [
      'anything-but wildcard',
      { detail: { custom_id: [{ 'anything-but': { wildcard: 'test-*' } }] } },
      true,
    ],
    ['anything-but needs the field', { detail: { nothing: [{ 'anything-but': 'x' }] } }, false],
    [
      'anything-but on an array: one element not excluded',
      { detail: { tags: [{ 'anything-but': 'nightly' }] } },
      true,
    ],
    // numeric
    ['numeric range', { detail: { request_count: [{ numeric: ['>', 0, '<=', 250] }] } }, true],
    ['numeric range, outside', { detail: { request_count: [{ numeric: ['>', 250] }] } }, false],
    ['numeric equals', { detail: { ratio: [{ numeric: ['=', 0.5] }] } }, true],
    ['numeric >=, <', { detail: { ratio: [{ numeric: ['>=', 0.5, '<', 1] }] } }, true],
    ['numeric never matches a string', { detail: { custom_id: [{ numeric: ['>', 0] }] } }, false],
    [
      'numeric inside an array of objects',
      { detail: { items: { size: [{ numeric: ['>', 10] }] } } },
      true,
    ],
    // exists
    ['exists true', { detail: { custom_id: [{ exists: true }] } }, true],
    ['exists true on a missing field', { detail: { nothing: [{ exists: true }] } }, false],
    ['exists true on an intermediate node', { detail: { reason: [{ exists: true }] } }, false],
    ['exists false on a missing field', { detail: { nothing: [{ exists: false }] } }, true],
    ['exists false on a present field', { detail: { custom_id: [{ exists: false }] } }, false],
    ['exists false under a missing object', { detail: { nope: { x: [{ exists: false }] } } }, true],
    // wildcard
    ['wildcard', { detail: { custom_id: [{ wildcard: 'eval-*2' }] } }, true],
    ['wildcard, no', { detail: { custom_id: [{ wildcard: 'eval-*3' }] } }, false],
    [
      'wildcard escaped star is literal',
      { detail: { custom_id: [{ wildcard: 'eval\\*' }] } },
      false,
    ],
    ['wildcard with regex characters', { resources: [{ wildcard: 'arn:aws:s3:::*' }] }, true],
    // $or
    [
      '$or, second branch',
      { $or: [{ source: ['aws.s3'] }, { 'detail-type': ['Request Rejected'] }] },
      true,
    ],
    [
      '$or, no branch',
      { $or: [{ source: ['aws.s3'] }, { 'detail-type': ['Batch Ended'] }] },
      false,
    ],
    [
      '$or with other fields (all must hold)',
      { source: ['aws.s3'], $or: [{ 'detail-type': ['Request Rejected'] }, { id: ['e-1'] }] },
      false,
    ],
    [
      '$or nested in detail',
      { detail: { $or: [{ custom_id: ['x'] }, { reason: { code: [{ prefix: 'invalid_' }] } }] } },
      true,
    ],
    // mixed matchers in one list: any of them
    [
      'mixed list: one matcher holds',
      { detail: { custom_id: ['x', { prefix: 'eval' }, { numeric: ['>', 1] }] } },
      true,
    ],
  ])('%s', (_name, pattern, expected) => {
    expect(matches(pattern)).toBe(expected);
  });
});

describe('Function: parseEventPattern()', () => {
  it.each([
    ['not JSON', '{source:'],
    ['not an object', '["batchlane"]'],
    ['an empty object', '{}'],
    ['a bare value', '{"source":"batchlane"}'],
    ['an empty list', '{"source":[]}'],
    ['an unknown operator', '{"source":[{"regex":"b.*"}]}'],
    ['two operators in one object', '{"source":[{"prefix":"a","suffix":"b"}]}'],
    ['a bad numeric operator', '{"detail":{"n":[{"numeric":["!=",1]}]}}'],
    ['a numeric operand that is a string', '{"detail":{"n":[{"numeric":[">","1"]}]}}'],
    ['exists that is not a boolean', '{"detail":{"n":[{"exists":"yes"}]}}'],
    ['$or with one branch', '{"$or":[{"source":["a"]}]}'],
    ['consecutive wildcards', '{"source":[{"wildcard":"a**b"}]}'],
    ['cidr (not emulated)', '{"detail":{"ip":[{"cidr":"10.0.0.0/24"}]}}'],
  ])('refuses %s', (_name, text) => {
    expect(() => parseEventPattern(text)).toThrow(InvalidEventPatternError);
    expect(() => parseEventPattern(text)).toThrow(/^Event pattern is not valid\. Reason: /);
  });
});
