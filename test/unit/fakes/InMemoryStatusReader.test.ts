import { describeStatusReaderContract } from '../../contract/StatusReaderContract.js';
import { InMemoryStatusReader } from '../../support/fakes/InMemoryStatusReader.js';

describeStatusReaderContract('in-memory fake', async () => {
  const reader = new InMemoryStatusReader();
  return {
    reader,
    putBatches: async (records) => {
      for (const record of records) reader.putBatch(record);
    },
    putCosts: async (entries) => reader.putCosts(entries),
    putParked: async (key, body) =>
      reader.putParked(key, Buffer.byteLength(body), new Date().toISOString()),
    putIntake: async (waiting, delayed) => reader.setIntake({ waiting, delayed, inFlight: 0 }),
  };
});
