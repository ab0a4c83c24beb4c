import { describeBatchFillingContract } from '../../contract/BatchFillingContract.js';
import { dynamoDbStatePorts } from './dynamoDbStatePorts.js';

describeBatchFillingContract(
  'DynamoDbBatchFilling on DynamoDB Local, sidecars on fauxqs',
  async () => {
    const ports = await dynamoDbStatePorts();
    return { ...ports, port: ports.filling };
  },
);
