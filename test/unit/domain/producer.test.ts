import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PRODUCER_ATTRIBUTE,
  ledgerIdOf,
  type ProducerPolicy,
  principalOf,
  producerAttributeOf,
  resolveProducer,
} from '../../../shared/domain/producer.js';

const policy = (overrides: Partial<ProducerPolicy> = {}): ProducerPolicy => ({
  selfPrincipals: ['AROACOLLECTOR'],
  namespaces: [],
  ...overrides,
});

describe('Function: principalOf()', () => {
  it('drops the session name of an assumed role, which changes with every session', () => {
    expect(principalOf('AROAEXAMPLEROLE:i-0abc123')).toBe('AROAEXAMPLEROLE');
    expect(principalOf('AROAEXAMPLEROLE:batchlane-producer-fn')).toBe('AROAEXAMPLEROLE');
  });

  it('keeps a user id or an account id whole', () => {
    expect(principalOf('AIDAEXAMPLEUSER')).toBe('AIDAEXAMPLEUSER');
    expect(principalOf('123456789012')).toBe('123456789012');
  });
});

describe('Function: resolveProducer()', () => {
  it('is the principal SQS recorded, whatever session sent it', () => {
    const a = resolveProducer({ senderId: 'AROATEAMA:fn-1', producerAttribute: null }, policy());
    const b = resolveProducer({ senderId: 'AROATEAMA:fn-2', producerAttribute: null }, policy());
    expect(a).toBe('AROATEAMA');
    expect(b).toBe(a);
  });

  it('ignores a producer attribute from anyone but batchlane itself: it cannot be forged', () => {
    expect(
      resolveProducer({ senderId: 'AROAEVIL:x', producerAttribute: 'AROAVICTIM' }, policy()),
    ).toBe('AROAEVIL');
  });

  it("believes the producer attribute on batchlane's own requeues", () => {
    expect(
      resolveProducer(
        { senderId: 'AROACOLLECTOR:batchlane-collector', producerAttribute: 'AROATEAMA' },
        policy(),
      ),
    ).toBe('AROATEAMA');
  });

  it("reads batchlane's own requeue of the default producer from its marker, and nobody else's", () => {
    expect(
      resolveProducer(
        { senderId: 'AROACOLLECTOR:fn', producerAttribute: DEFAULT_PRODUCER_ATTRIBUTE },
        policy(),
      ),
    ).toBe('');
    expect(
      resolveProducer(
        { senderId: 'AROAEVIL:x', producerAttribute: DEFAULT_PRODUCER_ATTRIBUTE },
        policy(),
      ),
    ).toBe('AROAEVIL');
  });

  it("maps a principal to the empty namespace: the default producer ''", () => {
    const shared = policy({ namespaces: [{ pattern: 'AROALEGACY', namespace: '' }] });
    expect(resolveProducer({ senderId: 'AROALEGACY:fn', producerAttribute: null }, shared)).toBe(
      '',
    );
    // Its held requests come back as the default producer's, not as batchlane's own.
    expect(
      resolveProducer(
        { senderId: 'AROACOLLECTOR:fn', producerAttribute: producerAttributeOf('') },
        shared,
      ),
    ).toBe('');
  });

  it('does not believe a malformed producer attribute, even from batchlane', () => {
    expect(
      resolveProducer(
        { senderId: 'AROACOLLECTOR:fn', producerAttribute: 'team#a' },
        policy({ namespaces: [] }),
      ),
    ).toBe('AROACOLLECTOR');
  });

  it('maps principals to namespaces, the most specific pattern winning', () => {
    const namespaces = policy({
      namespaces: [
        { pattern: 'AROA*', namespace: 'everyone' },
        { pattern: 'AROATEAMA*', namespace: 'team-a' },
        { pattern: 'AROATEAMA2', namespace: 'team-a2' },
        { pattern: '123456789012', namespace: 'partner' },
      ],
    });
    const of = (senderId: string) =>
      resolveProducer({ senderId, producerAttribute: null }, namespaces);
    expect(of('AROATEAMA:fn')).toBe('team-a');
    expect(of('AROATEAMA2:fn')).toBe('team-a2');
    expect(of('AROAOTHER:fn')).toBe('everyone');
    expect(of('123456789012')).toBe('partner');
    expect(of('AIDAUNMAPPED')).toBe('AIDAUNMAPPED');
  });

  it('matches a pattern naming the whole SenderId, session included', () => {
    expect(
      resolveProducer(
        { senderId: 'AROASHARED:nightly-evals', producerAttribute: null },
        policy({ namespaces: [{ pattern: 'AROASHARED:nightly-*', namespace: 'evals' }] }),
      ),
    ).toBe('evals');
  });

  it('never lets a SenderId break a key: characters outside the name pattern become _', () => {
    const producer = resolveProducer(
      { senderId: 'weird#id/..', producerAttribute: null },
      policy(),
    );
    expect(producer).toBe('weird_id_..');
    expect(resolveProducer({ senderId: ':x', producerAttribute: null }, policy())).toBe('unknown');
  });
});

describe('Function: ledgerIdOf()', () => {
  it('tells two producers using the same custom_id apart', () => {
    expect(ledgerIdOf('AROATEAMA', 'eval-1')).not.toBe(ledgerIdOf('AROATEAMB', 'eval-1'));
    expect(ledgerIdOf('AROATEAMA', 'eval-1')).toBe('AROATEAMA#eval-1');
  });

  it('keeps the bare custom_id for records written before producers were told apart', () => {
    expect(ledgerIdOf('', 'eval-1')).toBe('eval-1');
  });

  it('cannot be made to collide: a producer name holds no #, a custom_id neither', () => {
    expect(ledgerIdOf('a', 'b-c')).not.toBe(ledgerIdOf('a-b', 'c'));
  });
});
