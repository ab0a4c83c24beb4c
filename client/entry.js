// The entry of `batchlane/client` for plain Node. batchlane runs its TypeScript sources
// through tsx (a runtime dependency, so `npm ci --omit=dev` keeps it), as the CLI does: the
// client and the deployed handlers share one contract and there is no build to keep in step.
// tsImport loads them without registering tsx for the rest of the importing program.
// TypeScript consumers get the types from client/index.ts (the `types` condition).
import { tsImport } from 'tsx/esm/api';

const client = await tsImport('./index.ts', import.meta.url);

export const {
  clientOptionsFromDevFile,
  clientOptionsFromStackOutputs,
  createBatchlaneClient,
  createResultReader,
  DETAIL_TYPES,
  DEV_FILE,
  EVENT_SOURCE,
  fetchPointedResult,
  packMessages,
  parseDelivery,
  parseResultLines,
  REJECTION_CODES,
  RESULT_DETAIL_TYPE,
  ResultPointerV1Schema,
  RequestV1BaseSchema,
  ResultV1Schema,
  SQS_MAX_BYTES_PER_CALL,
  SQS_MAX_ENTRIES_PER_CALL,
  SQS_MAX_MESSAGE_BYTES,
  sendMessages,
} = client;
