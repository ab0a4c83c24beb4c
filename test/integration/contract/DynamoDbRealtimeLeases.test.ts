import { describeRealtimeLeasesContract } from '../../contract/RealtimeLeasesContract.js';
import { dynamoDbStatePorts } from './dynamoDbStatePorts.js';

describeRealtimeLeasesContract(
  'DynamoDbRealtimeLeases on DynamoDB Local, sidecars on fauxqs',
  async () => {
    const ports = await dynamoDbStatePorts();
    return { ...ports, port: ports.leases };
  },
);
