import { CompletionQueueMessageSchema } from '../contract/providerPush.js';
import { batchIdOfJobName } from './bedrockJobs.js';

/**
 * The batch a completion-queue message names, or null when it names none of batchlane's (a
 * Bedrock job that is not batchlane's, a malformed body): such a message can never succeed.
 * The queue carries batchlane's own `{batch_id}` messages and Bedrock's job-state events;
 * Bedrock's job is named after its batch, whose state completion then reads from Bedrock.
 */
const batchIdOfCompletionMessage = (body: string): string | null => {
  const parsed = CompletionQueueMessageSchema.safeParse(body);
  if (!parsed.success) return null;
  const message = parsed.data;
  return 'batch_id' in message ? message.batch_id : batchIdOfJobName(message.detail.batchJobName);
};

export { batchIdOfCompletionMessage };
