import { DynamoDbCostLedger } from '../../../shared/adapters/aws/DynamoDbCostLedger.js';
import { ensureStateTable } from '../../../shared/adapters/aws/stateTable.js';
import { describeCostLedgerContract } from '../../contract/CostLedgerContract.js';
import { emulatorClients, uniqueName } from '../aws/awsTestKit.js';

describeCostLedgerContract('DynamoDbCostLedger on DynamoDB Local', async () => {
  const clients = emulatorClients();
  const tableName = uniqueName('contract-costs');
  await ensureStateTable(clients.dynamodb, tableName);
  return {
    // Small pages, so reading a day crosses page boundaries.
    port: new DynamoDbCostLedger({ client: clients.documentClient, tableName, pageSize: 7 }),
    close: () => clients.destroy(),
  };
});
