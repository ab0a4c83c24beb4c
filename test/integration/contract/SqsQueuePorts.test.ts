import { SQSClient } from '@aws-sdk/client-sqs';
import { SqsCompletionNotifier } from '../../../shared/adapters/aws/SqsCompletionNotifier.js';
import { SqsIntakeRequeuer } from '../../../shared/adapters/aws/SqsIntakeRequeuer.js';
import { SqsRealtimeDispatcher } from '../../../shared/adapters/aws/SqsRealtimeDispatcher.js';
import { describeCompletionNotifierContract } from '../../contract/CompletionNotifierContract.js';
import { describeIntakeRequeuerContract } from '../../contract/IntakeRequeuerContract.js';
import { sqsProbe } from '../../contract/queueProbe.js';
import { describeRealtimeDispatcherContract } from '../../contract/RealtimeDispatcherContract.js';
import { createQueue, emulatorClients } from '../aws/awsTestKit.js';

/** A port on a fresh fauxqs queue, and one of the same kind whose SQS endpoint is down. */
const onFreshQueue = <Port>(
  make: (options: { readonly client: SQSClient; readonly queueUrl: string }) => Port,
) => {
  return async () => {
    const clients = emulatorClients();
    const queueUrl = await createQueue(clients, 'contract');
    // Nothing listens on port 9 of loopback: every request is refused at once.
    const deadSqs = new SQSClient({
      endpoint: 'http://127.0.0.1:9',
      region: 'us-east-1',
      maxAttempts: 1,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    return {
      port: make({ client: clients.sqs, queueUrl }),
      queue: sqsProbe(clients.sqs, queueUrl),
      unreachable: make({ client: deadSqs, queueUrl }),
      close: () => {
        deadSqs.destroy();
        clients.destroy();
      },
    };
  };
};

describeIntakeRequeuerContract(
  'SqsIntakeRequeuer on fauxqs',
  onFreshQueue((options) => new SqsIntakeRequeuer(options)),
);
describeRealtimeDispatcherContract(
  'SqsRealtimeDispatcher on fauxqs',
  onFreshQueue((options) => new SqsRealtimeDispatcher(options)),
);
describeCompletionNotifierContract(
  'SqsCompletionNotifier on fauxqs',
  onFreshQueue((options) => new SqsCompletionNotifier(options)),
);
