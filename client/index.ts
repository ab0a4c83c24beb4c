/**
 * batchlane's producer client (`batchlane/client`): send requests to a deployment's intake
 * queue, validated against contract v1 first, and read the results and events that come back.
 */

export type { Destination } from '../shared/contract/destination.js';
export type {
  BatchDeliveredDetail,
  BatchEndedDetail,
  BatchlaneEvent,
  BatchSubmittedDetail,
  RequestCompletedDetail,
  RequestRejectedDetail,
  RequestsHeldDetail,
} from '../shared/contract/events.js';
export { DETAIL_TYPES, EVENT_SOURCE } from '../shared/contract/events.js';
export type { ProviderName } from '../shared/contract/providers.js';
export { REJECTION_CODES, type RejectionCode } from '../shared/contract/rejections.js';
export { RequestV1BaseSchema, type RequestV1Input } from '../shared/contract/request.js';
export { type ResultStatus, type ResultV1, ResultV1Schema } from '../shared/contract/result.js';
export { clientOptionsFromDevFile, clientOptionsFromStackOutputs, DEV_FILE } from './config.js';
// Every name the module exports is public.
export * from './createBatchlaneClient.js';
export {
  packMessages,
  SQS_MAX_BYTES_PER_CALL,
  SQS_MAX_ENTRIES_PER_CALL,
  SQS_MAX_MESSAGE_BYTES,
} from './packMessages.js';
// Every name the module exports is public.
export * from './readResults.js';
export { type MessageOutcome, sendMessages } from './sendMessages.js';
