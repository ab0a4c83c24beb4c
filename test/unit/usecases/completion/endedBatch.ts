import type { Destination } from '../../../../shared/contract/destination.js';
import type { ResultV1 } from '../../../../shared/contract/result.js';
import { encodePartMember, partMembersKeyOf } from '../../../../shared/domain/partMembers.js';
import { providerCustomIdOf } from '../../../../shared/domain/providerCustomIdOf.js';
import type { BatchItem, BatchRecord } from '../../../../shared/domain/records.js';
import type { FakeRuntime } from '../../../support/fakeRuntime.js';

const MODEL = 'claude-sonnet-4-6';

const S3_DESTINATION: Destination = { type: 's3', bucket: 'results-bucket', prefix: 'out/' };
const FIFO_DESTINATION: Destination = {
  type: 'sqs',
  queue_url: 'https://sqs.us-east-1.amazonaws.com/123456789012/results.fifo',
};

/** What the provider answered one member with, in its results file. */
type Answer =
  | 'succeeded'
  /** A retryable error (Anthropic `overloaded_error`). */
  | 'overloaded'
  /** An error sending again cannot fix. */
  | 'invalid'
  | 'expired'
  /** No line at all. */
  | 'missing'
  /** A line that is not JSON. */
  | 'malformed';

interface EndedBatchSpec {
  readonly size: number;
  /** Members per part (sidecar and part record), as the collector's invocations made them. */
  readonly partSize?: number;
  /** The destination of member `index` (default: the S3 destination). */
  readonly destinationOf?: (index: number) => Destination | null;
  /** What the provider answered member `index` with (default: succeeded). */
  readonly answerOf?: (index: number) => Answer;
  /** The member's attempts so far (default 1). */
  readonly attemptsOf?: (index: number) => number;
  /** The member's deadline (default none). */
  readonly deadlineOf?: (index: number) => string | null;
  /**
   * Leave the results with the fake provider, not archived: the input is submitted to it and
   * the batch ended there (answers other than `succeeded` are its `failRequest`s: `overloaded`
   * and `invalid` only). Default: the results file archived, as `answerOf` says.
   */
  readonly atProvider?: boolean;
}

/** An ended batch put in place: its id, its members' caller ids by index. */
interface EndedBatch {
  readonly batchId: string;
  readonly customIds: readonly string[];
  readonly resultsKey: string;
}

const customIdOf = (batchId: string, index: number): string => `${batchId}-req-${index}`;

const resultLine = (providerCustomId: string, answer: Answer, index: number): string | null => {
  switch (answer) {
    case 'missing':
      return null;
    case 'malformed':
      return `{"custom_id": "${providerCustomId}", "result": `;
    case 'overloaded':
    case 'invalid':
      return JSON.stringify({
        custom_id: providerCustomId,
        result: {
          type: 'errored',
          error: {
            type: 'error',
            error: {
              type: answer === 'overloaded' ? 'overloaded_error' : 'invalid_request_error',
              message: `answer ${index}`,
            },
          },
        },
      });
    case 'expired':
      return JSON.stringify({ custom_id: providerCustomId, result: { type: 'expired' } });
    case 'succeeded':
      return JSON.stringify({
        custom_id: providerCustomId,
        result: {
          type: 'succeeded',
          message: {
            id: `msg_${index}`,
            type: 'message',
            role: 'assistant',
            model: MODEL,
            content: [{ type: 'text', text: `answer ${index} ✓` }],
            stop_reason: 'end_turn',
            stop_sequence: null,
            usage: { input_tokens: 10 + (index % 7), output_tokens: 20 + (index % 5) },
          },
        },
      });
  }
};

/**
 * Puts an ended batch in place in a fake runtime, as sealing and the poller leave one: the
 * batch record (`ended`, its results file archived), each part's sidecar, part record and
 * ledger claims (through the store, as the collector makes them), the input file a retry
 * batch copies lines from, and the provider's results file, in an order unlike the input's
 * (providers return results in any order).
 */
const seedEndedBatch = async (rt: FakeRuntime, spec: EndedBatchSpec): Promise<EndedBatch> => {
  const { deps, store, blobs, clock } = rt;
  const partSize = spec.partSize ?? 1_000;
  const destinationOf = spec.destinationOf ?? (() => S3_DESTINATION);
  const answerOf = spec.answerOf ?? (() => 'succeeded' as const);
  const batchId = deps.ids.next('bl');
  const now = clock.now().toISOString();
  const resultsKey = `batches/${batchId}/results-0.jsonl`;
  const inputKey = `batches/${batchId}/input.jsonl`;
  const partCount = Math.ceil(spec.size / partSize);
  const record: BatchRecord = {
    batchId,
    provider: 'anthropic',
    endpoint: '/v1/messages',
    models: [MODEL],
    state: 'ended',
    version: 0,
    inputKey,
    inputBytes: 0,
    requestCount: spec.size,
    providerBatchId: `msgbatch_seeded_${batchId}`,
    providerStatus: 'ended',
    providerExpiresAt: new Date(clock.now().getTime() + 86_400_000).toISOString(),
    createdAt: now,
    submittedAt: now,
    endedAt: now,
    completedAt: null,
    nextPollAt: now,
    pollCount: 1,
    counts: null,
    resultKeys: [resultsKey],
    lastError: null,
    completionLeaseUntil: null,
    checkpoint: null,
    partCount,
  };
  await store.createBatch(record);
  const customIds: string[] = [];
  const inputLines: string[] = [];
  for (let partNo = 1; partNo <= partCount; partNo += 1) {
    const firstIndex = (partNo - 1) * partSize;
    const count = Math.min(partSize, spec.size - firstIndex);
    const members = Array.from({ length: count }, (_, i) => {
      const index = firstIndex + i;
      const item: BatchItem = {
        batchId,
        providerCustomId: providerCustomIdOf(index),
        producer: '',
        customId: customIdOf(batchId, index),
        model: MODEL,
        destination: destinationOf(index),
        metadata: { index },
        attempts: spec.attemptsOf?.(index) ?? 1,
        acceptedAt: now,
        deadline: spec.deadlineOf?.(index) ?? null,
        status: null,
        deliveredAt: null,
        escalatedAt: null,
        lane: { requested: 'batch', reason: 'tier batch' },
        cost: null,
      };
      customIds.push(item.customId);
      inputLines.push(
        `${JSON.stringify({
          custom_id: item.providerCustomId,
          params: {
            model: MODEL,
            max_tokens: 64,
            messages: [{ role: 'user', content: `q${index}` }],
          },
        })}\n`,
      );
      return { item, requestHash: `hash-${index}`, expiresAt: 2_000_000_000 };
    });
    await blobs.put(partMembersKeyOf(batchId, partNo), members.map(encodePartMember).join(''));
    await store.openPart({
      batchId,
      partNo,
      state: 'open',
      firstIndex,
      requestCount: count,
      models: [MODEL],
      escalateAt: null,
      claimed: null,
      voids: [],
    });
    const claims = await store.claimPartMembers(batchId, partNo, members, now);
    if (claims.some((claim) => claim !== 'claimed')) throw new Error('seeded claim not made');
    await store.commitPart(batchId, partNo, count, []);
  }
  await store.sealParts(batchId, partCount, now);
  await blobs.put(inputKey, inputLines.join(''));
  if (spec.atProvider === true) {
    await endAtProvider(rt, batchId, spec.size, answerOf);
    return { batchId, customIds, resultsKey };
  }
  // Odd indexes first, then even ones: not the input's order.
  const order = [
    ...Array.from({ length: spec.size }, (_, i) => i).filter((i) => i % 2 === 1),
    ...Array.from({ length: spec.size }, (_, i) => i).filter((i) => i % 2 === 0),
  ];
  const lines = order.flatMap((index) => {
    const line = resultLine(providerCustomIdOf(index), answerOf(index), index);
    return line === null ? [] : [`${line}\n`];
  });
  await blobs.put(resultsKey, lines.join(''));
  return { batchId, customIds, resultsKey };
};

/**
 * Submits a seeded batch's input to the fake provider, lets it end there (its results not yet
 * archived) and records that on the batch.
 */
const endAtProvider = async (
  rt: FakeRuntime,
  batchId: string,
  size: number,
  answerOf: (index: number) => Answer,
): Promise<void> => {
  for (let index = 0; index < size; index += 1) {
    const answer = answerOf(index);
    if (answer === 'succeeded') continue;
    if (answer !== 'overloaded' && answer !== 'invalid') {
      throw new Error(`the fake provider cannot answer ${answer}`);
    }
    // By provider custom id, in every batch: a retry batch's own ids start from r0 again.
    const errorType = answer === 'overloaded' ? 'overloaded_error' : 'invalid_request_error';
    rt.provider.failRequest(providerCustomIdOf(index), errorType);
  }
  const seeded = (await rt.store.getBatch(batchId)) as BatchRecord;
  const submitted = await rt.provider.submit({
    batchId,
    endpoint: seeded.endpoint,
    openInput: () => rt.blobs.getStream(seeded.inputKey),
    requestCount: size,
    inputBytes: 0,
  });
  rt.clock.advance(60_000);
  const ended = await rt.provider.retrieve(submitted.providerBatchId);
  if (ended.phase !== 'ended') throw new Error('the fake provider did not end the batch');
  await rt.store.updateBatch(batchId, seeded.version, {
    providerBatchId: submitted.providerBatchId,
    endedAt: ended.endedAt,
    resultKeys: [],
  });
};

/** Every result delivered anywhere, by caller `custom_id`, repeats included. */
const resultsByCustomId = (rt: FakeRuntime): Map<string, ResultV1[]> => {
  const byId = new Map<string, ResultV1[]>();
  for (const result of rt.deliverer.allResults()) {
    const list = byId.get(result.custom_id) ?? [];
    list.push(result);
    byId.set(result.custom_id, list);
  }
  return byId;
};

export {
  type Answer,
  customIdOf,
  type EndedBatch,
  type EndedBatchSpec,
  FIFO_DESTINATION,
  MODEL,
  resultsByCustomId,
  S3_DESTINATION,
  seedEndedBatch,
};
