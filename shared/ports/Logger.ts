/**
 * The logging the use cases need: structured attributes, never prompt or response content.
 * Deployed, Powertools' Logger serves it (`loggerPort` in `composition/createRuntime.ts`); tests
 * pass a silent or recording one.
 */
interface Logger {
  debug(message: string, attributes?: Record<string, unknown>): void;
  info(message: string, attributes?: Record<string, unknown>): void;
  warn(message: string, attributes?: Record<string, unknown>): void;
  error(message: string, attributes?: Record<string, unknown>): void;
}

/** Counters and timings, emitted as metrics (Powertools Metrics in Lambda). */
interface MetricsSink {
  count(name: string, value?: number, dimensions?: Record<string, string>): void;
  /** A timing sample; timings are kept per name only (no dimensions), up to 100 a flush. */
  milliseconds(name: string, value: number): void;
  /** A ratio sample, 0–100 (e.g. how full a batch is against its provider's limit). */
  percent(name: string, value: number, dimensions?: Record<string, string>): void;
  /** A duration sample in seconds, with dimensions (e.g. a batch's turnaround per provider). */
  seconds(name: string, value: number, dimensions?: Record<string, string>): void;
}

const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const noMetrics: MetricsSink = { count() {}, milliseconds() {}, percent() {}, seconds() {} };

export { type Logger, type MetricsSink, noMetrics, silentLogger };
