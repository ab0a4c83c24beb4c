import { afterAll, beforeAll } from 'vitest';
import type { AwsClients } from '../../../shared/adapters/aws/createAwsClients.js';
import { DynamoDbTurnaroundLog } from '../../../shared/adapters/aws/DynamoDbTurnaroundLog.js';
import { ensureStateTable } from '../../../shared/adapters/aws/stateTable.js';
import { describeTurnaroundLogContract } from '../../contract/TurnaroundLogContract.js';
import { emulatorClients, uniqueName } from '../aws/awsTestKit.js';

let clients: AwsClients;
let tableName: string;

beforeAll(async () => {
  clients = emulatorClients();
  tableName = uniqueName('turnaround');
  await ensureStateTable(clients.dynamodb, tableName);
});

afterAll(() => clients.destroy());

describeTurnaroundLogContract(
  'DynamoDB Local',
  () => new DynamoDbTurnaroundLog({ client: clients.documentClient, tableName }),
);
