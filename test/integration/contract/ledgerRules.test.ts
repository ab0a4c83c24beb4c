import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { requestKey } from '../../../shared/adapters/aws/stateItemCodec.js';
import { describeLedgerRulesContract } from '../../contract/LedgerRulesContract.js';
import { dynamoDbStatePorts } from './dynamoDbStatePorts.js';

describeLedgerRulesContract('DynamoDB adapters on DynamoDB Local, sidecars on fauxqs', async () => {
  const { documentClient, tableName, ...ports } = await dynamoDbStatePorts();
  return {
    ...ports,
    port: ports.ledger,
    putLedgerEntry: async (item) => {
      await documentClient.send(new PutCommand({ TableName: tableName, Item: item }));
    },
    ledgerEntryOf: async (customId) =>
      (
        await documentClient.send(
          new GetCommand({
            TableName: tableName,
            Key: requestKey('', customId),
            ConsistentRead: true,
          }),
        )
      ).Item,
  };
});
