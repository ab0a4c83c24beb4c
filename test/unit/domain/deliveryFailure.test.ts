import { describe, expect, it } from 'vitest';
import {
  deliveryFailureOf,
  failedResultsOf,
  resultIdentityOf,
} from '../../../shared/domain/deliveryFailure.js';
import { UnavailableError } from '../../../shared/domain/errors.js';

const throttled = new UnavailableError('throttled', { code: 'throttled' });
const result = (customId: string, producer?: string) => ({
  custom_id: customId,
  ...(producer === undefined ? {} : { producer }),
});

describe('delivery failures by producer and custom_id', () => {
  it('tells producers apart, and takes a result without a producer as the default one', () => {
    expect(resultIdentityOf(result('a', 'P'))).not.toBe(resultIdentityOf(result('a', 'Q')));
    expect(resultIdentityOf(result('a'))).toBe(resultIdentityOf(result('a', '')));
    expect(resultIdentityOf(result('a', 'b'))).not.toBe(resultIdentityOf(result('b', 'a')));
    expect(deliveryFailureOf(result('a'), throttled)).toEqual({ customId: 'a', error: throttled });
    expect(deliveryFailureOf(result('a', 'P'), throttled)).toEqual({
      customId: 'a',
      producer: 'P',
      error: throttled,
    });
  });

  it('matches each failure to its own result', () => {
    const results = [result('a', 'P'), result('a', 'Q'), result('a'), result('b')];
    expect(failedResultsOf(results, [deliveryFailureOf(result('a', 'Q'), throttled)])).toEqual([
      result('a', 'Q'),
    ]);
    expect(failedResultsOf(results, [{ customId: 'a' }])).toEqual([result('a')]);
    expect(failedResultsOf(results, [])).toEqual([]);
  });

  it('keeps every result of an id when a failure matches none of them by producer', () => {
    const results = [result('a', 'P'), result('a', 'Q'), result('b', 'P')];
    // A report that left the producer out: nothing of that id is taken as delivered.
    expect(failedResultsOf(results, [{ customId: 'a' }])).toEqual([
      result('a', 'P'),
      result('a', 'Q'),
    ]);
  });
});
