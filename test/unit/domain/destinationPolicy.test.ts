import { describe, expect, it } from 'vitest';
import type { Destination } from '../../../shared/contract/destination.js';
import {
  AllowListSyntaxError,
  canonicalQueueUrl,
  parseDestinationPolicy,
  parseQueueUrl,
  refuseDestination,
} from '../../../shared/domain/destinationPolicy.js';

const REGION = 'eu-west-1';
const sqs = (queue_url: string): Destination => ({ type: 'sqs', queue_url });
const s3 = (bucket: string, prefix = ''): Destination => ({ type: 's3', bucket, prefix });
const bus = (event_bus_name: string): Destination => ({ type: 'eventbridge', event_bus_name });
const webhook = (url: string): Destination => ({ type: 'webhook', url });

/** The refusal code, or 'allowed'. */
const verdict = (allowList: string | undefined, destination: Destination): string =>
  refuseDestination(destination, parseDestinationPolicy(allowList), REGION)?.code ?? 'allowed';

const RESULTS = 'https://sqs.eu-west-1.amazonaws.com/123456789012/results';

describe('Function: parseQueueUrl()', () => {
  it.each([
    [RESULTS, 'arn:aws:sqs:eu-west-1:123456789012:results'],
    [`${RESULTS}/`, 'arn:aws:sqs:eu-west-1:123456789012:results'],
    [
      'https://eu-west-1.queue.amazonaws.com/123456789012/jobs.fifo',
      'arn:aws:sqs:eu-west-1:123456789012:jobs.fifo',
    ],
    [
      'https://sqs.cn-north-1.amazonaws.com.cn/123456789012/q',
      'arn:aws-cn:sqs:cn-north-1:123456789012:q',
    ],
    [
      'http://sqs.us-east-1.localhost:4566/000000000000/local-q',
      'arn:aws:sqs:us-east-1:000000000000:local-q',
    ],
  ])('parses %s into %s', (url, arn) => {
    expect(parseQueueUrl(url)?.arn).toBe(arn);
  });

  it.each([
    ['any other host', 'https://attacker.example/123456789012/results'],
    ['a look-alike host', 'https://sqs.eu-west-1.amazonaws.com.attacker.example/123456789012/q'],
    ['plain http to AWS', 'http://sqs.eu-west-1.amazonaws.com/123456789012/results'],
    ['a port on AWS', 'https://sqs.eu-west-1.amazonaws.com:8443/123456789012/results'],
    ['credentials in the URL', 'https://user:pw@sqs.eu-west-1.amazonaws.com/123456789012/q'],
    ['a short account', 'https://sqs.eu-west-1.amazonaws.com/1234/results'],
    ['a bad queue name', 'https://sqs.eu-west-1.amazonaws.com/123456789012/re%2Fsults'],
    ['an extra segment', 'https://sqs.eu-west-1.amazonaws.com/123456789012/results/x'],
    ['a query', `${RESULTS}?Action=SendMessage`],
    ['not a URL', 'results'],
  ])('refuses %s', (_, url) => {
    expect(parseQueueUrl(url)).toBeNull();
  });

  it('rebuilds the URL from its parts, never keeping the given host', () => {
    const queue = parseQueueUrl('https://eu-west-1.queue.amazonaws.com/123456789012/q');
    expect(queue && canonicalQueueUrl(queue)).toBe(
      'https://sqs.eu-west-1.amazonaws.com/123456789012/q',
    );
    const cn = parseQueueUrl('https://sqs.cn-north-1.amazonaws.com.cn/123456789012/q');
    expect(cn && canonicalQueueUrl(cn)).toBe(
      'https://sqs.cn-north-1.amazonaws.com.cn/123456789012/q',
    );
  });
});

describe('Function: parseDestinationPolicy()', () => {
  it.each([undefined, '', ' , ', 'none'])('reads %j as "nothing is allowed"', (setting) => {
    expect(parseDestinationPolicy(setting)).toEqual({ kind: 'listed', entries: [] });
  });

  it('reads only an explicit * as "everything"', () => {
    expect(parseDestinationPolicy('*')).toEqual({ kind: 'all' });
  });

  it.each([
    ['*,s3:bucket-a', /stands alone/],
    ['none,s3:bucket-a', /stands alone/],
    ['ftp:x', /must look like/],
    ['sqs', /must look like/],
    ['sqs:', /names no destination/],
    ['sqs:https://sqs.eu-west-1.amazonaws.com/123456789012/results', /queue's ARN/],
    ['sqs:arn:aws:sqs:*', /queue's ARN/],
    ['sqs:arn:aws:sqs:eu-west-1:*:results', /only a trailing \*/],
    ['sqs:arn:aws:sqs:eu-west-1:123456789012:re*s', /only a trailing \*/],
    ['sqs:arn:aws:sqs:eu-west-1:123456789012:results**', /only a trailing \*/],
    ['s3:Not_A_Bucket', /not an S3 bucket name/],
    ['eventbridge:arn:aws:events:eu-west-1:123456789012:rule/x', /EventBridge entry/],
    ['eventbridge:bus*', /EventBridge entry/],
    ['webhook:ftp://x', /webhook entry/],
  ])('refuses the entry %s', (setting, message) => {
    expect(() => parseDestinationPolicy(setting)).toThrow(AllowListSyntaxError);
    expect(() => parseDestinationPolicy(setting)).toThrow(message);
  });
});

describe('Function: refuseDestination()', () => {
  it('refuses every destination when the allow-list is unset', () => {
    for (const destination of [
      sqs(RESULTS),
      s3('bucket-a'),
      bus('bus-a'),
      webhook('https://hooks.example.com/x'),
    ]) {
      expect(verdict(undefined, destination)).toBe('destination_forbidden');
    }
  });

  it('matches an SQS entry by exact ARN: results does not allow results-x', () => {
    const list = 'sqs:arn:aws:sqs:eu-west-1:123456789012:results';
    expect(verdict(list, sqs(RESULTS))).toBe('allowed');
    expect(verdict(list, sqs(`${RESULTS}-x`))).toBe('destination_forbidden');
    expect(verdict(list, sqs(RESULTS.replace('results', 'result')))).toBe('destination_forbidden');
    expect(verdict(list, sqs(RESULTS.replace('123456789012', '999999999999')))).toBe(
      'destination_forbidden',
    );
  });

  it('matches the same queue whatever host form the URL uses', () => {
    const list = 'sqs:arn:aws:sqs:eu-west-1:123456789012:results';
    expect(verdict(list, sqs('https://eu-west-1.queue.amazonaws.com/123456789012/results'))).toBe(
      'allowed',
    );
  });

  it('takes a trailing * as a prefix of the ARN, and nothing else as a wildcard', () => {
    const list = 'sqs:arn:aws:sqs:eu-west-1:123456789012:team-a-*';
    expect(verdict(list, sqs(RESULTS.replace('results', 'team-a-grades')))).toBe('allowed');
    expect(verdict(list, sqs(RESULTS.replace('results', 'team-b-grades')))).toBe(
      'destination_forbidden',
    );
  });

  it('refuses a queue URL on any host but SQS, whatever the allow-list says', () => {
    expect(verdict('*', sqs('https://attacker.example/123456789012/results'))).toBe(
      'invalid_destination',
    );
    expect(
      verdict(
        'sqs:arn:aws:sqs:eu-west-1:123456789012:results',
        sqs('http://sqs.eu-west-1.amazonaws.com/123456789012/results'),
      ),
    ).toBe('invalid_destination');
  });

  it("refuses a queue or bus in another region: calls go to the deployment's own endpoint", () => {
    expect(verdict('*', sqs('https://sqs.us-east-1.amazonaws.com/123456789012/results'))).toBe(
      'destination_forbidden',
    );
    expect(verdict('*', bus('arn:aws:events:us-east-1:123456789012:event-bus/b'))).toBe(
      'destination_forbidden',
    );
    expect(verdict('*', bus('arn:aws:events:eu-west-1:123456789012:event-bus/b'))).toBe('allowed');
  });

  it('matches S3 entries by bucket, and by key prefix when one is named', () => {
    expect(verdict('s3:bucket-a', s3('bucket-a', 'any/where/'))).toBe('allowed');
    expect(verdict('s3:bucket-a', s3('bucket-ab'))).toBe('destination_forbidden');
    expect(verdict('s3:bucket-a/team-a/', s3('bucket-a', 'team-a/run-1/'))).toBe('allowed');
    expect(verdict('s3:bucket-a/team-a/*', s3('bucket-a', 'team-a/run-1/'))).toBe('allowed');
    expect(verdict('s3:bucket-a/team-a/', s3('bucket-a', 'team-b/'))).toBe('destination_forbidden');
    expect(verdict('s3:bucket-a/team-a/', s3('bucket-a', ''))).toBe('destination_forbidden');
  });

  it('matches EventBridge entries by exact name or ARN, with a trailing * on ARNs', () => {
    const arn = 'arn:aws:events:eu-west-1:123456789012:event-bus/results';
    expect(verdict('eventbridge:results', bus('results'))).toBe('allowed');
    expect(verdict('eventbridge:results', bus('results-x'))).toBe('destination_forbidden');
    expect(verdict(`eventbridge:${arn}`, bus(arn))).toBe('allowed');
    expect(verdict(`eventbridge:${arn}`, bus(`${arn}-x`))).toBe('destination_forbidden');
    expect(verdict(`eventbridge:${arn.replace('results', 'team-*')}`, bus(`${arn}-x`))).toBe(
      'destination_forbidden',
    );
    expect(
      verdict(
        `eventbridge:${arn.replace('results', 'team-*')}`,
        bus(arn.replace('results', 'team-a')),
      ),
    ).toBe('allowed');
  });

  it('matches webhook entries by origin and path, never by a longer host name', () => {
    const list = 'webhook:https://hooks.example.com/batchlane/';
    expect(verdict(list, webhook('https://hooks.example.com/batchlane/in'))).toBe('allowed');
    expect(verdict(list, webhook('https://hooks.example.com.evil.net/batchlane/in'))).toBe(
      'destination_forbidden',
    );
    expect(verdict(list, webhook('http://hooks.example.com/batchlane/in'))).toBe(
      'destination_forbidden',
    );
  });

  it('never lets an entry of one type allow another type', () => {
    expect(verdict('s3:bucket-a', sqs(RESULTS))).toBe('destination_forbidden');
    expect(verdict('eventbridge:bucket-a', s3('bucket-a'))).toBe('destination_forbidden');
  });
});
