import { defaultPriceTable } from '../../shared/domain/pricing/defaultPriceTable.js';
import type { RuntimeDeps, RuntimeSettings } from '../../shared/usecases/RuntimeDeps.js';
import { FakeClock, SequentialIds } from './fakes/FakeClock.js';
import { InMemoryBatchProvider } from './fakes/InMemoryBatchProvider.js';
import { InMemoryBlobStore } from './fakes/InMemoryBlobStore.js';
import { InMemoryBudgetReservations } from './fakes/InMemoryBudgetReservations.js';
import { InMemoryClaimCheckReader } from './fakes/InMemoryClaimCheckReader.js';
import { InMemoryCostLedger } from './fakes/InMemoryCostLedger.js';
import { InMemoryEventPublisher } from './fakes/InMemoryEventPublisher.js';
import { InMemoryQueue } from './fakes/InMemoryQueue.js';
import {
  InMemoryCompletionNotifier,
  InMemoryIntakeRequeuer,
  InMemoryRealtimeDispatcher,
} from './fakes/InMemoryQueuePorts.js';
import { InMemoryRealtimeProvider } from './fakes/InMemoryRealtimeProvider.js';
import { InMemoryResultDeliverer } from './fakes/InMemoryResultDeliverer.js';
import { InMemoryStateStore } from './fakes/InMemoryStateStore.js';
import { InMemoryTurnaroundLog } from './fakes/InMemoryTurnaroundLog.js';
import { RecordingLogger, RecordingMetrics } from './fakes/RecordingObservability.js';

/** The bucket the fake runtime's claim checks and artifacts are read from. */
const FAKE_BUCKET = 'batchlane-artifacts';

/**
 * Settings as a deployment with every default has them: Anthropic and OpenAI enabled, every
 * destination allowed, no quota, no budget, one attempt more after a retryable failure.
 */
const defaultFakeSettings = (): RuntimeSettings => ({
  defaultDestination: null,
  enabledProviders: ['anthropic', 'openai'],
  idempotencyTtlSeconds: 19 * 86_400,
  maxRequestsPerBatch: null,
  maxBytesPerBatch: null,
  pollIntervalSeconds: 60,
  batchMaxAgeMs: 0,
  maxAttempts: 2,
  publishRequestEvents: false,
  leaseMs: 5 * 60_000,
  allowPrivateWebhooks: false,
  destinationPolicy: { kind: 'all' },
  region: 'us-east-1',
  claimCheckBucket: FAKE_BUCKET,
  maxClaimCheckBytes: 8 * 1024 * 1024,
  priceTable: defaultPriceTable,
  costTagKey: 'cost_tag',
  lanePolicy: { batchWindowMs: 24 * 3_600_000, batchMarginMs: 3_600_000 },
  escalateBeforeDeadlineMs: 30 * 60_000,
  quotas: {},
  budget: { dailyNanoUsd: null, monthlyNanoUsd: null },
  quotaRetrySeconds: 60,
  realtimeRetryBaseSeconds: 30,
  producers: { selfPrincipals: [], namespaces: [] },
  unpricedCeilingNanoUsdPerToken: null,
});

/** Every fake behind a {@link fakeRuntime}, to drive and inspect. */
interface FakeRuntime {
  readonly deps: RuntimeDeps;
  readonly clock: FakeClock;
  readonly store: InMemoryStateStore;
  readonly blobs: InMemoryBlobStore;
  readonly provider: InMemoryBatchProvider;
  readonly realtimeProvider: InMemoryRealtimeProvider;
  readonly events: InMemoryEventPublisher;
  readonly deliverer: InMemoryResultDeliverer;
  readonly costs: InMemoryCostLedger;
  readonly budgets: InMemoryBudgetReservations;
  readonly turnarounds: InMemoryTurnaroundLog;
  /** The completion queue: what `deps.completion` sends lands here. */
  readonly completionQueue: InMemoryQueue;
  /** The realtime lane's queue. */
  readonly realtimeQueue: InMemoryQueue;
  /** The intake queue held requests go back to. */
  readonly intakeQueue: InMemoryQueue;
  readonly logger: RecordingLogger;
  readonly metrics: RecordingMetrics;
}

interface FakeRuntimeOptions {
  /** Changes to {@link defaultFakeSettings}. */
  readonly settings?: Partial<RuntimeSettings>;
  /** When the clock starts. */
  readonly start?: string;
  /** How long the fake provider's batches run (default one minute). */
  readonly processingMs?: number;
  /** Members per page the state store's `listItems` yields (default 500). */
  readonly itemPageSize?: number;
}

/**
 * The use cases' dependencies, every port an in-memory fake (the Anthropic batch provider and
 * realtime provider as `anthropic`), on one fake clock: what a use case's unit test runs
 * against, with no emulator.
 */
const fakeRuntime = (options: FakeRuntimeOptions = {}): FakeRuntime => {
  const clock = new FakeClock(options.start);
  const blobs = new InMemoryBlobStore(FAKE_BUCKET);
  const store = new InMemoryStateStore({
    blobs,
    clock,
    ...(options.itemPageSize === undefined ? {} : { itemPageSize: options.itemPageSize }),
  });
  const provider = new InMemoryBatchProvider(clock, {
    ...(options.processingMs === undefined ? {} : { processingMs: options.processingMs }),
  });
  const realtimeProvider = new InMemoryRealtimeProvider({
    name: 'anthropic',
    now: () => clock.now(),
  });
  const completionQueue = new InMemoryQueue(clock);
  const realtimeQueue = new InMemoryQueue(clock);
  const intakeQueue = new InMemoryQueue(clock);
  const fakes = {
    clock,
    store,
    blobs,
    provider,
    realtimeProvider,
    events: new InMemoryEventPublisher(),
    deliverer: new InMemoryResultDeliverer(),
    costs: new InMemoryCostLedger(),
    budgets: new InMemoryBudgetReservations(),
    turnarounds: new InMemoryTurnaroundLog(),
    completionQueue,
    realtimeQueue,
    intakeQueue,
    logger: new RecordingLogger(),
    metrics: new RecordingMetrics(),
  };
  const deps: RuntimeDeps = {
    store,
    blobs,
    claimChecks: new InMemoryClaimCheckReader(blobs),
    providers: { anthropic: provider },
    turnarounds: fakes.turnarounds,
    events: fakes.events,
    deliverer: fakes.deliverer,
    completion: new InMemoryCompletionNotifier(completionQueue),
    costs: fakes.costs,
    budgets: fakes.budgets,
    realtime: new InMemoryRealtimeDispatcher(realtimeQueue),
    realtimeProviders: { anthropic: realtimeProvider },
    requeue: new InMemoryIntakeRequeuer(intakeQueue),
    clock,
    ids: new SequentialIds(),
    logger: fakes.logger,
    metrics: fakes.metrics,
    settings: { ...defaultFakeSettings(), ...options.settings },
  };
  return { deps, ...fakes };
};

export { defaultFakeSettings, FAKE_BUCKET, type FakeRuntime, type FakeRuntimeOptions, fakeRuntime };
