import { DynamoDbBudgetReservations } from '../../../shared/adapters/aws/DynamoDbBudgetReservations.js';
import { ensureStateTable } from '../../../shared/adapters/aws/stateTable.js';
import { describeBudgetReservationsContract } from '../../contract/BudgetReservationsContract.js';
import { emulatorClients, uniqueName } from '../aws/awsTestKit.js';

describeBudgetReservationsContract('DynamoDbBudgetReservations on DynamoDB Local', async () => {
  const clients = emulatorClients();
  const tableName = uniqueName('contract-budget');
  await ensureStateTable(clients.dynamodb, tableName);
  return {
    port: new DynamoDbBudgetReservations({ client: clients.documentClient, tableName }),
    close: () => clients.destroy(),
  };
});
