import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PowertoolsMetricsSink } from '../../../shared/adapters/observability/PowertoolsMetricsSink.js';

/** The EMF documents Powertools writes to stdout during `run`. */
const emfWrittenBy = (run: () => void): Record<string, unknown>[] => {
  const writes: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    writes.push(String(chunk));
    return true;
  });
  try {
    run();
  } finally {
    spy.mockRestore();
  }
  return writes
    .flatMap((w) => w.split('\n'))
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
};

afterEach(() => vi.restoreAllMocks());

describe('PowertoolsMetricsSink', () => {
  it('writes counts summed per name and dimensions, and ratios as Percent with their dimensions', () => {
    const sink = new PowertoolsMetricsSink(new Metrics({ namespace: 'test', serviceName: 'svc' }));
    const documents = emfWrittenBy(() => {
      sink.count('ResultsDelivered', 2, { status: 'succeeded' });
      sink.count('ResultsDelivered', 3, { status: 'succeeded' });
      sink.percent('BatchFillRatio', 42.5, { provider: 'openai' });
      sink.flush();
    });
    const delivered = documents.find((d) => 'ResultsDelivered' in d);
    expect(delivered?.['ResultsDelivered']).toBe(5);
    expect(delivered?.['status']).toBe('succeeded');
    const fill = documents.find((d) => 'BatchFillRatio' in d);
    expect(fill?.['BatchFillRatio']).toBe(42.5);
    expect(fill?.['provider']).toBe('openai');
    const aws = fill?.['_aws'] as { CloudWatchMetrics: { Metrics: unknown[] }[] } | undefined;
    const directive = aws?.CloudWatchMetrics[0];
    expect(directive?.Metrics).toEqual([{ Name: 'BatchFillRatio', Unit: 'Percent' }]);
    // A flush empties what was recorded: the next one writes nothing.
    expect(emfWrittenBy(() => sink.flush())).toEqual([]);
  });
});
