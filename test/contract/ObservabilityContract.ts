import { describe, expect, it } from 'vitest';
import type { Logger, MetricsSink } from '../../shared/ports/Logger.js';

/** One log record as written: its level (lower case), message and attributes. */
interface WrittenLog {
  readonly level: string;
  readonly message: string;
  readonly attributes: Record<string, unknown>;
}

/** What a sink wrote: counts summed per name and dimensions, every timing and ratio sample. */
interface WrittenMetrics {
  readonly counts: { name: string; dimensions: Record<string, string>; value: number }[];
  readonly timings: { name: string; value: number }[];
  readonly percents: { name: string; dimensions: Record<string, string>; value: number }[];
  readonly seconds: { name: string; dimensions: Record<string, string>; value: number }[];
}

const byName = <T extends { name: string; dimensions?: Record<string, string>; value: number }>(
  entries: readonly T[],
): T[] =>
  [...entries].sort((a, b) =>
    JSON.stringify([a.name, a.dimensions, a.value]).localeCompare(
      JSON.stringify([b.name, b.dimensions, b.value]),
    ),
  );

/**
 * What every {@link Logger} does: one record per call, at its level, with its message and its
 * attributes (nested values and errors' messages kept), and nothing carried to the next call.
 */
const describeLoggerContract = (
  name: string,
  logged: (run: (logger: Logger) => void) => WrittenLog[],
) => {
  describe(`Logger contract: ${name}`, () => {
    it('writes one record per call, at its level, with its message and attributes', () => {
      const records = logged((logger) => {
        logger.debug('looking', { batchId: 'b_1' });
        logger.info('request rejected', { messageId: 'm-1', counts: { a: 1 } });
        logger.warn('held', { reason: 'budget_daily', requests: 3 });
        logger.error('failed', { retryable: false });
      });
      expect(records.map((r) => [r.level, r.message])).toEqual([
        ['debug', 'looking'],
        ['info', 'request rejected'],
        ['warn', 'held'],
        ['error', 'failed'],
      ]);
      expect(records[1]?.attributes).toMatchObject({ messageId: 'm-1', counts: { a: 1 } });
      expect(records[2]?.attributes).toMatchObject({ reason: 'budget_daily', requests: 3 });
      expect(records[3]?.attributes).toMatchObject({ retryable: false });
    });

    it("keeps no call's attributes for the next one, and takes a call with none", () => {
      const records = logged((logger) => {
        logger.info('first', { customId: 'c-1' });
        logger.info('second');
      });
      expect(records).toHaveLength(2);
      expect(records[1]?.message).toBe('second');
      expect(records[1]?.attributes).not.toHaveProperty('customId');
    });

    it("keeps an error attribute's message", () => {
      const [record] = logged((logger) =>
        logger.warn('not delivered', { error: new Error('queue is gone') }),
      );
      expect(record?.attributes['error']).toMatchObject({ message: 'queue is gone' });
    });
  });
};

/**
 * What every {@link MetricsSink} writes: counts summed per name and dimensions (a count without
 * a value counts one), every timing sample, every ratio sample with its dimensions.
 */
const describeMetricsSinkContract = (
  name: string,
  written: (run: (sink: MetricsSink) => void) => WrittenMetrics,
) => {
  describe(`MetricsSink contract: ${name}`, () => {
    it('sums counts per name and dimensions, one by default', () => {
      const { counts } = written((sink) => {
        sink.count('ResultsDelivered', 2, { status: 'succeeded' });
        sink.count('ResultsDelivered', 3, { status: 'succeeded' });
        sink.count('ResultsDelivered', 1, { status: 'errored' });
        sink.count('RequestsRejected');
        sink.count('RequestsRejected');
      });
      expect(byName(counts)).toEqual(
        byName([
          { name: 'ResultsDelivered', dimensions: { status: 'succeeded' }, value: 5 },
          { name: 'ResultsDelivered', dimensions: { status: 'errored' }, value: 1 },
          { name: 'RequestsRejected', dimensions: {}, value: 2 },
        ]),
      );
    });

    it('writes every duration sample with its dimensions', () => {
      const { seconds } = written((sink) => {
        sink.seconds('BatchTurnaroundSeconds', 3600, { provider: 'openai' });
        sink.seconds('BatchTurnaroundSeconds', 90.5, { provider: 'anthropic' });
      });
      expect(byName(seconds)).toEqual(
        byName([
          { name: 'BatchTurnaroundSeconds', dimensions: { provider: 'openai' }, value: 3600 },
          { name: 'BatchTurnaroundSeconds', dimensions: { provider: 'anthropic' }, value: 90.5 },
        ]),
      );
    });

    it('writes every timing and every ratio sample', () => {
      const { timings, percents } = written((sink) => {
        sink.milliseconds('AcceptanceToDelivery', 1200);
        sink.milliseconds('AcceptanceToDelivery', 800);
        sink.percent('BatchFillRatio', 42.5, { provider: 'openai' });
        sink.percent('BatchFillRatio', 10, { provider: 'anthropic' });
      });
      expect(timings.map((t) => t.value).sort()).toEqual([1200, 800].sort());
      expect(timings.every((t) => t.name === 'AcceptanceToDelivery')).toBe(true);
      expect(byName(percents)).toEqual(
        byName([
          { name: 'BatchFillRatio', dimensions: { provider: 'openai' }, value: 42.5 },
          { name: 'BatchFillRatio', dimensions: { provider: 'anthropic' }, value: 10 },
        ]),
      );
    });
  });
};

export {
  describeLoggerContract,
  describeMetricsSinkContract,
  type WrittenLog,
  type WrittenMetrics,
};
