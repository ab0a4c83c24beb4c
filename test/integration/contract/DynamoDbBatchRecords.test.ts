import { describeBatchRecordsContract } from '../../contract/BatchRecordsContract.js';
import { dynamoDbStatePorts } from './dynamoDbStatePorts.js';

describeBatchRecordsContract(
  'DynamoDbBatchRecords on DynamoDB Local, sidecars on fauxqs',
  async () => {
    const ports = await dynamoDbStatePorts();
    return { ...ports, port: ports.records };
  },
);
