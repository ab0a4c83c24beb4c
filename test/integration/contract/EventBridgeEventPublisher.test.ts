import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { inject } from 'vitest';
import { startEventBridgeStub } from '../../../local/stack/emulators/startEventBridgeStub.js';
import { EventBridgeEventPublisher } from '../../../shared/adapters/aws/EventBridgeEventPublisher.js';
import { describeEventPublisherContract } from '../../contract/EventPublisherContract.js';

describeEventPublisherContract('EventBridgeEventPublisher on the local EventBridge', async () => {
  // A bus of the subject's own, so failures can be injected without touching other tests.
  const stub = await startEventBridgeStub();
  const env = inject('awsEnv');
  const client = new EventBridgeClient({
    endpoint: stub.endpoint,
    region: env.AWS_REGION,
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY },
  });
  return {
    port: new EventBridgeEventPublisher({
      client,
      eventBusName: 'batchlane-contract',
      maxAttempts: 3,
      baseDelayMs: 1,
    }),
    published: async () =>
      stub
        .events()
        .map((e) => ({ source: e.source, detailType: e['detail-type'], detail: e.detail })),
    failNextEntries: (count, code) => stub.failNextEntries(count, code),
    maxAttempts: 3,
    close: async () => {
      client.destroy();
      await stub.stop();
    },
  };
});
