import { describeRequestLedgerContract } from '../../contract/RequestLedgerContract.js';
import { dynamoDbStatePorts } from './dynamoDbStatePorts.js';

describeRequestLedgerContract(
  'DynamoDbRequestLedger on DynamoDB Local, sidecars on fauxqs',
  async () => {
    const ports = await dynamoDbStatePorts();
    return { ...ports, port: ports.ledger };
  },
);
