import { describeEventPublisherContract } from '../../contract/EventPublisherContract.js';
import { InMemoryEventPublisher } from '../../support/fakes/InMemoryEventPublisher.js';

describeEventPublisherContract('InMemoryEventPublisher', async () => {
  const publisher = new InMemoryEventPublisher({ maxAttempts: 3 });
  return {
    port: publisher,
    published: async () => [...publisher.published()],
    failNextEntries: (count, code) => publisher.failNextEntries(count, code),
    maxAttempts: 3,
  };
});
