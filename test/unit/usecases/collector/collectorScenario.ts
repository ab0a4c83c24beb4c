import type { Destination } from '../../../../shared/contract/destination.js';
import { DETAIL_TYPES } from '../../../../shared/contract/events.js';
import { batchIdOfCompletionMessage } from '../../../../shared/domain/completionMessage.js';
import type { BatchRecord } from '../../../../shared/domain/records.js';
import type { IntakeMessage } from '../../../../shared/usecases/createCollector.js';
import { createPoller } from '../../../../shared/usecases/createPoller.js';
import type { RuntimeDeps } from '../../../../shared/usecases/RuntimeDeps.js';
import { finishSealing } from '../../../../shared/usecases/sealBatch.js';
import { submitBatch } from '../../../../shared/usecases/submitBatch.js';
import type { FakeRuntime } from '../../../support/fakeRuntime.js';
import { readAll } from '../../../support/fakes/readAll.js';

/*
 * What the collector's and sealing's unit tests share: intake messages as producers send
 * them, and what the deployment does after an invocation (the poller and the completion
 * function taking up sealing), so a test can follow requests into submitted batches.
 */

const RESULTS: Destination = { type: 's3', bucket: 'results-bucket', prefix: 'out/' };

/** The body of an Anthropic Messages request as a producer would send it. */
const requestBody = (customId: string, text = `grade answer ${customId}`): string =>
  JSON.stringify({
    custom_id: customId,
    provider: 'anthropic',
    body: {
      model: 'claude-sonnet-4-6',
      max_tokens: 256,
      messages: [{ role: 'user', content: text }],
    },
    destination: RESULTS,
  });

/** One SQS record for the collector, from an unnamed producer. */
const message = (messageId: string, body: string): IntakeMessage => ({ messageId, body });

/** Messages `m-<from>`… for ids `c-<from>`…, each an accepted request. */
const requests = (from: number, count: number): IntakeMessage[] =>
  Array.from({ length: count }, (_, i) => message(`m-${from + i}`, requestBody(`c-${from + i}`)));

interface RejectedDetail {
  readonly custom_id: string | null;
  readonly message_id: string;
  readonly result_delivered: boolean;
  readonly reason: { readonly code: string };
}

/** `Request Rejected` events, by the message they refused. */
const rejectionsOf = (fake: FakeRuntime): Map<string, RejectedDetail[]> => {
  const byMessage = new Map<string, RejectedDetail[]>();
  for (const detail of fake.events.detailsOf<RejectedDetail>(DETAIL_TYPES.requestRejected)) {
    byMessage.set(detail.message_id, [...(byMessage.get(detail.message_id) ?? []), detail]);
  }
  return byMessage;
};

/** The batches a run touched, as the store has them now. */
const batchesOf = async (deps: RuntimeDeps, ids: Iterable<string>): Promise<BatchRecord[]> => {
  const batches: BatchRecord[] = [];
  for (const id of new Set(ids)) {
    const batch = await deps.store.getBatch(id);
    if (batch !== null) batches.push(batch);
  }
  return batches;
};

/**
 * What the completion function does with a message about a batch not yet submitted (its
 * sealing branch): finish sealing, or take up an interrupted submission.
 */
const resumeSealing = async (deps: RuntimeDeps, batchId: string): Promise<void> => {
  const batch = await deps.store.getBatch(batchId);
  if (batch === null) return;
  if (batch.state === 'sealing') await finishSealing(deps, batch);
  else if (batch.state === 'open' || batch.state === 'submitting') {
    await submitBatch(deps, batch).catch(() => undefined);
  }
};

/**
 * The deployment after the collector's invocations: the completion queue's messages are
 * taken up, then, a lease (or filling time) later, the poller seals what is still filling
 * and hands back what was cut off, until nothing is left to seal or submit.
 */
const drainSealing = async (fake: FakeRuntime, rounds = 6): Promise<void> => {
  const poll = createPoller(fake.deps);
  const takeUpCompletionQueue = async (): Promise<void> => {
    for (const queued of fake.completionQueue.drain()) {
      const batchId = batchIdOfCompletionMessage(queued.body);
      if (batchId !== null) await resumeSealing(fake.deps, batchId);
      fake.completionQueue.delete(queued.receiptHandle);
    }
  };
  for (let round = 0; round < rounds; round++) {
    await takeUpCompletionQueue();
    // Past the lease of whatever was cut off, and the filling time of what still fills.
    fake.clock.advance(
      Math.max(fake.deps.settings.leaseMs, fake.deps.settings.batchMaxAgeMs) + 1_000,
    );
    await poll();
  }
  await takeUpCompletionQueue();
};

/** A submitted batch as its provider and the store see it. */
interface SubmittedBatch {
  readonly batch: BatchRecord;
  /** The caller ids of the batch's members, by the provider custom id each went out as. */
  readonly members: Map<string, string>;
  /** The custom ids of the lines the provider received, in order. */
  readonly providerLines: string[];
  /** Bytes of the input file the provider received. */
  readonly inputBytes: number;
}

/** Every batch the provider received, with its members and the lines it was sent. */
const submittedBatches = async (
  fake: FakeRuntime,
  batchIds: Iterable<string>,
): Promise<SubmittedBatch[]> => {
  const submitted: SubmittedBatch[] = [];
  for (const batch of await batchesOf(fake.deps, batchIds)) {
    if (batch.providerBatchId === null) continue;
    const members = new Map<string, string>();
    for await (const page of fake.store.listItems(batch.batchId)) {
      for (const item of page) members.set(item.providerCustomId, item.customId);
    }
    // What the provider was sent: the input file it streamed (the fake reads it whole).
    const input = (await readAll(await fake.blobs.getStream(batch.inputKey))).toString('utf8');
    const providerLines = input
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => String((JSON.parse(line) as { custom_id: unknown }).custom_id));
    submitted.push({ batch, members, providerLines, inputBytes: Buffer.byteLength(input) });
  }
  return submitted;
};

/**
 * The ledger's entry for an id: a refusal's registration, which takes over no entry (a
 * `pending` one would take over a refused id) and writes only where the id was never seen.
 */
const ledgerEntryOf = async (deps: RuntimeDeps, customId: string) => {
  const outcome = await deps.store.registerRequest({
    producer: '',
    customId,
    requestHash: 'ledger-probe',
    state: 'rejecting',
    acceptedAt: deps.clock.now().toISOString(),
    expiresAt: Math.floor(deps.clock.now().getTime() / 1000) + 3_600,
  });
  return outcome.kind === 'new' ? null : outcome.existing;
};

export {
  batchesOf,
  drainSealing,
  ledgerEntryOf,
  message,
  RESULTS,
  type RejectedDetail,
  rejectionsOf,
  requestBody,
  requests,
  resumeSealing,
  type SubmittedBatch,
  submittedBatches,
};
