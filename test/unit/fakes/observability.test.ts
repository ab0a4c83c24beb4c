import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { vi } from 'vitest';
import { PowertoolsMetricsSink } from '../../../shared/adapters/observability/PowertoolsMetricsSink.js';
import { loggerPort } from '../../../shared/composition/createRuntime.js';
import {
  describeLoggerContract,
  describeMetricsSinkContract,
  type WrittenMetrics,
} from '../../contract/ObservabilityContract.js';
import { RecordingLogger, RecordingMetrics } from '../../support/fakes/RecordingObservability.js';

/** The JSON lines Powertools writes to stdout and stderr during `run`. */
const jsonWrittenBy = (run: () => void): Record<string, unknown>[] => {
  const writes: string[] = [];
  const capture = (chunk: unknown) => {
    writes.push(String(chunk));
    return true;
  };
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  try {
    run();
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  return writes
    .flatMap((w) => w.split('\n'))
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
};

/** Keys Powertools adds to every record, which are not the caller's attributes. */
const ENVELOPE = new Set([
  'level',
  'message',
  'timestamp',
  'service',
  'sampling_rate',
  'xray_trace_id',
]);

describeLoggerContract('Powertools Logger behind loggerPort', (run) => {
  const logger = loggerPort(new PowertoolsLogger({ serviceName: 'contract', logLevel: 'DEBUG' }));
  return jsonWrittenBy(() => run(logger)).map((record) => ({
    level: String(record['level']).toLowerCase(),
    message: String(record['message']),
    attributes: Object.fromEntries(Object.entries(record).filter(([key]) => !ENVELOPE.has(key))),
  }));
});

describeLoggerContract('RecordingLogger', (run) => {
  const logger = new RecordingLogger();
  run(logger);
  return logger.records.map((r) => ({ ...r }));
});

interface EmfDocument {
  readonly _aws: {
    readonly CloudWatchMetrics: {
      readonly Dimensions: string[][];
      readonly Metrics: { Name: string; Unit: string }[];
    }[];
  };
  readonly [key: string]: unknown;
}

describeMetricsSinkContract('PowertoolsMetricsSink', (run) => {
  const sink = new PowertoolsMetricsSink(
    new Metrics({ namespace: 'contract', serviceName: 'svc' }),
  );
  const documents = jsonWrittenBy(() => {
    run(sink);
    sink.flush();
  }) as unknown as EmfDocument[];
  const written: WrittenMetrics = { counts: [], timings: [], percents: [], seconds: [] };
  for (const document of documents) {
    const directive = document._aws.CloudWatchMetrics[0];
    if (directive === undefined) continue;
    // Powertools adds the service to every document; the caller's dimensions are the rest.
    const dimensions = Object.fromEntries(
      (directive.Dimensions[0] ?? [])
        .filter((key) => key !== 'service')
        .map((key) => [key, String(document[key])]),
    );
    for (const { Name: name, Unit: unit } of directive.Metrics) {
      const raw = document[name];
      const values = (Array.isArray(raw) ? raw : [raw]) as number[];
      for (const value of values) {
        if (unit === 'Count') written.counts.push({ name, dimensions, value });
        else if (unit === 'Milliseconds') written.timings.push({ name, value });
        else if (unit === 'Percent') written.percents.push({ name, dimensions, value });
        else if (unit === 'Seconds') written.seconds.push({ name, dimensions, value });
      }
    }
  }
  return written;
});

describeMetricsSinkContract('RecordingMetrics', (run) => {
  const sink = new RecordingMetrics();
  run(sink);
  const counts = new Map<
    string,
    { name: string; dimensions: Record<string, string>; value: number }
  >();
  for (const r of sink.records.filter((s) => s.kind === 'count')) {
    const key = JSON.stringify([r.name, r.dimensions]);
    const sum = counts.get(key) ?? { name: r.name, dimensions: r.dimensions, value: 0 };
    counts.set(key, { ...sum, value: sum.value + r.value });
  }
  return {
    counts: [...counts.values()],
    timings: sink.records
      .filter((r) => r.kind === 'milliseconds')
      .map(({ name, value }) => ({ name, value })),
    percents: sink.records
      .filter((r) => r.kind === 'percent')
      .map(({ name, dimensions, value }) => ({ name, dimensions, value })),
    seconds: sink.records
      .filter((r) => r.kind === 'seconds')
      .map(({ name, dimensions, value }) => ({ name, dimensions, value })),
  };
});
