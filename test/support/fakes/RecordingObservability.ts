import type { Logger, MetricsSink } from '../../../shared/ports/Logger.js';

type Level = 'debug' | 'info' | 'warn' | 'error';

interface LogRecord {
  readonly level: Level;
  readonly message: string;
  readonly attributes: Record<string, unknown>;
}

/** A {@link Logger} that keeps what it is told, for tests that assert what was logged. */
class RecordingLogger implements Logger {
  readonly records: LogRecord[] = [];

  debug(message: string, attributes: Record<string, unknown> = {}): void {
    this.records.push({ level: 'debug', message, attributes });
  }
  info(message: string, attributes: Record<string, unknown> = {}): void {
    this.records.push({ level: 'info', message, attributes });
  }
  warn(message: string, attributes: Record<string, unknown> = {}): void {
    this.records.push({ level: 'warn', message, attributes });
  }
  error(message: string, attributes: Record<string, unknown> = {}): void {
    this.records.push({ level: 'error', message, attributes });
  }

  /** The records of one level, or with this message. */
  at(level: Level): LogRecord[] {
    return this.records.filter((r) => r.level === level);
  }
  withMessage(message: string): LogRecord[] {
    return this.records.filter((r) => r.message === message);
  }
}

interface MetricRecord {
  readonly kind: 'count' | 'milliseconds' | 'percent' | 'seconds';
  readonly name: string;
  readonly value: number;
  readonly dimensions: Record<string, string>;
}

/** A {@link MetricsSink} that keeps every sample, and sums counts for assertions. */
class RecordingMetrics implements MetricsSink {
  readonly records: MetricRecord[] = [];

  count(name: string, value = 1, dimensions: Record<string, string> = {}): void {
    this.records.push({ kind: 'count', name, value, dimensions });
  }
  milliseconds(name: string, value: number): void {
    this.records.push({ kind: 'milliseconds', name, value, dimensions: {} });
  }
  percent(name: string, value: number, dimensions: Record<string, string> = {}): void {
    this.records.push({ kind: 'percent', name, value, dimensions });
  }
  seconds(name: string, value: number, dimensions: Record<string, string> = {}): void {
    this.records.push({ kind: 'seconds', name, value, dimensions });
  }

  /** The sum of a count, over the samples whose dimensions include `dimensions`. */
  total(name: string, dimensions: Record<string, string> = {}): number {
    return this.records
      .filter((r) => r.kind === 'count' && r.name === name)
      .filter((r) => Object.entries(dimensions).every(([k, v]) => r.dimensions[k] === v))
      .reduce((sum, r) => sum + r.value, 0);
  }
}

export { type LogRecord, type MetricRecord, RecordingLogger, RecordingMetrics };
