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

/** {@link StatusReader} over what a test put in it. */
class InMemoryStatusReader implements StatusReader {
  private readonly batchRecords = new Map<string, BatchFacts>();
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

  async activeBatches(): Promise<BatchFacts[]> {
    return [...this.batchRecords.values()].filter((b) => b.state !== 'completed');
  }

  async batches(ids: readonly string[]): Promise<BatchFacts[]> {
    return [...new Set(ids)].flatMap((id) => {
      const found = this.batchRecords.get(id);
      return found === undefined ? [] : [found];
    });
  }

  async *costEntries(range: CostRange): AsyncIterable<CostEntry> {
    yield* this.costs
      .filter((c) => c.day >= range.since && c.day <= range.until)
      .sort((a, b) => a.day.localeCompare(b.day));
  }

  async parkedResults(limit: number): Promise<ParkedObject[]> {
    return [...this.parked].sort((a, b) => a.key.localeCompare(b.key)).slice(0, limit);
  }

  async intakeDepth(): Promise<IntakeDepth | null> {
    return this.intake;
  }
}

export { factsOf, InMemoryStatusReader };
