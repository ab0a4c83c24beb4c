import type { CostEntry, CostRange } from '../../../shared/domain/costs/CostEntry.js';
import type { BatchRecord } from '../../../shared/domain/records.js';
import type {
  BatchFacts,
  IntakeDepth,
  ParkedObject,
  StatusReader,
} from '../../../shared/ports/StatusReader.js';

/** The facts the status view keeps of a batch record. */
const factsOf = (record: BatchRecord): BatchFacts => ({
  batchId: record.batchId,
  provider: record.provider,
  models: [...record.models],
  state: record.state,
  requestCount: record.requestCount,
  createdAt: record.createdAt,
  submittedAt: record.submittedAt,
  endedAt: record.endedAt,
  completedAt: record.completedAt,
  providerExpiresAt: record.providerExpiresAt,
  counts: record.counts,
  lastError: record.lastError,
});

/**
 * {@link StatusReader} over what a test put in it. `failReadsWith` makes every read reject, as
 * an unreachable or forbidden table, bucket or queue does.
 */
class InMemoryStatusReader implements StatusReader {
  private readonly batchRecords = new Map<string, BatchFacts>();
  private failure: Error | null = null;
  private readonly costs: CostEntry[] = [];
  private readonly parked: ParkedObject[] = [];
  private intake: IntakeDepth | null = null;

  putBatch(record: BatchRecord): void {
    this.batchRecords.set(record.batchId, factsOf(record));
  }

  putCosts(entries: readonly CostEntry[]): void {
    this.costs.push(...entries);
  }

  putParked(key: string, bytes: number, lastModified: string): void {
    this.parked.push({
      key,
      destinationType: key.split('/')[1] ?? '',
      bytes,
      lastModified,
    });
  }

  setIntake(depth: IntakeDepth | null): void {
    this.intake = depth;
  }

  /** Every read rejects with `error` from now on (null: reads succeed again). */
  failReadsWith(error: Error | null): void {
    this.failure = error;
  }

  private check(): void {
    if (this.failure !== null) throw this.failure;
  }

  async activeBatches(): Promise<BatchFacts[]> {
    this.check();
    return [...this.batchRecords.values()].filter((b) => b.state !== 'completed');
  }

  async batches(ids: readonly string[]): Promise<BatchFacts[]> {
    this.check();
    return [...new Set(ids)].flatMap((id) => {
      const found = this.batchRecords.get(id);
      return found === undefined ? [] : [found];
    });
  }

  async *costEntries(range: CostRange): AsyncIterable<CostEntry> {
    this.check();
    yield* this.costs
      .filter((c) => c.day >= range.since && c.day <= range.until)
      .sort((a, b) => a.day.localeCompare(b.day));
  }

  async parkedResults(limit: number): Promise<ParkedObject[]> {
    this.check();
    return [...this.parked].sort((a, b) => a.key.localeCompare(b.key)).slice(0, limit);
  }

  async intakeDepth(): Promise<IntakeDepth | null> {
    this.check();
    return this.intake;
  }
}

export { factsOf, InMemoryStatusReader };
