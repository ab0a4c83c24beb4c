import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MetricsSink } from '../../ports/Logger.js';

/** CloudWatch EMF accepts at most 100 values per metric in one document. */
const MAX_SAMPLES = 100;

/**
 * Metrics for the use cases, on Powertools Metrics. Counts are summed per name and
 * dimensions during an invocation and written once at `flush()`, so a batch of 10,000
 * deliveries costs a handful of EMF documents, not 10,000.
 */
class PowertoolsMetricsSink implements MetricsSink {
  readonly #metrics: Metrics;
  readonly #counts = new Map<
    string,
    { name: string; dimensions: Record<string, string>; value: number }
  >();
  readonly #timings = new Map<string, number[]>();
  readonly #samples: {
    name: string;
    unit: typeof MetricUnit.Percent | typeof MetricUnit.Seconds;
    dimensions: Record<string, string>;
    value: number;
  }[] = [];

  constructor(metrics: Metrics) {
    this.#metrics = metrics;
  }

  count(name: string, value = 1, dimensions: Record<string, string> = {}): void {
    const key = `${name}|${JSON.stringify(Object.entries(dimensions).sort())}`;
    const entry = this.#counts.get(key);
    if (entry === undefined) this.#counts.set(key, { name, dimensions, value });
    else entry.value += value;
  }

  milliseconds(name: string, value: number): void {
    const samples = this.#timings.get(name) ?? [];
    if (samples.length < MAX_SAMPLES) samples.push(value);
    this.#timings.set(name, samples);
  }

  percent(name: string, value: number, dimensions: Record<string, string> = {}): void {
    if (this.#samples.length < MAX_SAMPLES) {
      this.#samples.push({ name, unit: MetricUnit.Percent, dimensions, value });
    }
  }

  seconds(name: string, value: number, dimensions: Record<string, string> = {}): void {
    if (this.#samples.length < MAX_SAMPLES) {
      this.#samples.push({ name, unit: MetricUnit.Seconds, dimensions, value });
    }
  }

  /** Writes everything recorded since the last flush. Call at the end of each invocation. */
  flush(): void {
    let stored = this.#timings.size > 0;
    for (const { name, dimensions, value } of this.#counts.values()) {
      if (Object.keys(dimensions).length === 0) {
        this.#metrics.addMetric(name, MetricUnit.Count, value);
        stored = true;
        continue;
      }
      // A single metric is written on its own, right away.
      const single = this.#metrics.singleMetric();
      for (const [dimension, dimensionValue] of Object.entries(dimensions)) {
        single.addDimension(dimension, dimensionValue);
      }
      single.addMetric(name, MetricUnit.Count, value);
    }
    for (const [name, samples] of this.#timings) {
      for (const sample of samples) this.#metrics.addMetric(name, MetricUnit.Milliseconds, sample);
    }
    for (const { name, unit, dimensions, value } of this.#samples) {
      const single = this.#metrics.singleMetric();
      for (const [dimension, dimensionValue] of Object.entries(dimensions)) {
        single.addDimension(dimension, dimensionValue);
      }
      single.addMetric(name, unit, value);
    }
    this.#counts.clear();
    this.#timings.clear();
    this.#samples.length = 0;
    if (stored) this.#metrics.publishStoredMetrics();
  }
}

export { PowertoolsMetricsSink };
