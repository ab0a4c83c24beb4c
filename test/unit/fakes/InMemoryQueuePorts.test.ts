import { UnavailableError } from '../../../shared/domain/errors.js';
import { describeCompletionNotifierContract } from '../../contract/CompletionNotifierContract.js';
import { describeIntakeRequeuerContract } from '../../contract/IntakeRequeuerContract.js';
import { inMemoryProbe } from '../../contract/queueProbe.js';
import { describeRealtimeDispatcherContract } from '../../contract/RealtimeDispatcherContract.js';
import { FakeClock } from '../../support/fakes/FakeClock.js';
import { InMemoryQueue } from '../../support/fakes/InMemoryQueue.js';
import {
  InMemoryCompletionNotifier,
  InMemoryIntakeRequeuer,
  InMemoryRealtimeDispatcher,
} from '../../support/fakes/InMemoryQueuePorts.js';

const unreachable = () => new UnavailableError('connect ECONNREFUSED', { code: 'unavailable' });

/** A port on a fresh queue, and one of the same kind that cannot reach its queue. */
const onFreshQueue = <Port>(
  make: (queue: InMemoryQueue) => Port & { failWith(error: UnavailableError | null): void },
) => {
  return async () => {
    const clock = new FakeClock();
    const queue = new InMemoryQueue(clock);
    const broken = make(new InMemoryQueue(clock));
    broken.failWith(unreachable());
    return { port: make(queue), queue: inMemoryProbe(queue, clock), unreachable: broken };
  };
};

describeIntakeRequeuerContract(
  'InMemoryIntakeRequeuer',
  onFreshQueue((queue) => new InMemoryIntakeRequeuer(queue)),
);
describeRealtimeDispatcherContract(
  'InMemoryRealtimeDispatcher',
  onFreshQueue((queue) => new InMemoryRealtimeDispatcher(queue)),
);
describeCompletionNotifierContract(
  'InMemoryCompletionNotifier',
  onFreshQueue((queue) => new InMemoryCompletionNotifier(queue)),
);
