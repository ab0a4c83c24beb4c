import { describeWebhookReceiptsContract } from '../../support/contracts/webhookReceiptsContract.js';
import { InMemoryWebhookReceipts } from '../../support/fakes/InMemoryWebhookReceipts.js';

describeWebhookReceiptsContract(
  'in memory',
  (nowSeconds) => new InMemoryWebhookReceipts(nowSeconds),
);
