import { describeBatchMembersContract } from '../../contract/BatchMembersContract.js';
import { dynamoDbStatePorts } from './dynamoDbStatePorts.js';

describeBatchMembersContract(
  'DynamoDbBatchMembers on DynamoDB Local, sidecars on fauxqs',
  async () => {
    const ports = await dynamoDbStatePorts();
    return { ...ports, port: ports.members };
  },
);
