import { describeWebhookReceiptsContract } from '../../contract/WebhookReceiptsContract.js';
import { InMemoryWebhookReceipts } from '../../support/fakes/InMemoryWebhookReceipts.js';

describeWebhookReceiptsContract(
  'in memory',
  (nowSeconds) => new InMemoryWebhookReceipts(nowSeconds),
);
