import { randomUUID } from 'node:crypto';
import { newBatchRecord } from '../../shared/domain/newBatchRecord.js';
import {
  encodePartMember,
  type PartMemberLine,
  partMembersKeyOf,
} from '../../shared/domain/partMembers.js';
import { providerCustomIdOf } from '../../shared/domain/providerCustomIdOf.js';
import type { BatchItem, BatchPart, BatchRecord, ItemCost } from '../../shared/domain/records.js';
import type { BatchFilling } from '../../shared/ports/BatchFilling.js';
import type { BatchMembers } from '../../shared/ports/BatchMembers.js';
import type { BatchRecords } from '../../shared/ports/BatchRecords.js';
import type { BlobStore } from '../../shared/ports/BlobStore.js';
import type { RealtimeLeases } from '../../shared/ports/RealtimeLeases.js';
import type { RegisterRequestInput, RequestLedger } from '../../shared/ports/RequestLedger.js';
import type { PartReservation } from '../../shared/ports/StateStore.js';
import type { Subject } from './subject.js';

/**
 * The five state ports over one fresh, empty table (its due batches are its own), with
 * `listItems` pages of 100, and the bucket its parts' sidecars are read from. Each port's
 * contract suite takes its port as the subject's `port` and the others it needs from here:
 * what one port writes, another reads (a member claimed while filling is in the ledger).
 */
interface StatePorts {
  readonly ledger: RequestLedger;
  readonly records: BatchRecords;
  readonly filling: BatchFilling;
  readonly members: BatchMembers;
  readonly leases: RealtimeLeases;
  readonly blobs: BlobStore;
}

const EXPIRES = 1_900_000_000;
const ACCEPTED = '2026-11-26T10:00:00.000Z';
/** When the fixtures' claims are made (a realtime lease on an entry is judged at this time). */
const CLAIM_AT = '2026-11-26T10:00:30.000Z';

const uid = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 8)}`;

const batchOf = (batchId: string, overrides: Partial<BatchRecord> = {}): BatchRecord => ({
  batchId,
  provider: 'anthropic',
  endpoint: '/v1/messages',
  models: ['claude-test'],
  state: 'open',
  version: 1,
  inputKey: `inputs/${batchId}.jsonl`,
  inputBytes: 1234,
  requestCount: 2,
  providerBatchId: null,
  providerStatus: null,
  providerExpiresAt: null,
  createdAt: '2026-11-26T10:00:00.000Z',
  submittedAt: null,
  endedAt: null,
  completedAt: null,
  nextPollAt: '2026-11-26T10:05:00.000Z',
  pollCount: 0,
  counts: null,
  resultKeys: [],
  lastError: null,
  completionLeaseUntil: null,
  checkpoint: null,
  ...overrides,
});

const fillingBatch = (batchId: string): BatchRecord =>
  newBatchRecord({
    batchId,
    provider: 'anthropic',
    endpoint: '/v1/messages',
    models: [],
    state: 'filling',
    createdAt: '2026-11-27T10:00:00.000Z',
    nextPollAt: '2026-11-27T10:01:00.000Z',
    partCount: 0,
    estimate: { byModel: {}, nanoUsd: 0 },
  });

const memberOf = (batchId: string, index: number, customId: string): BatchItem => ({
  batchId,
  providerCustomId: providerCustomIdOf(index),
  producer: '',
  customId,
  model: 'claude-test',
  destination: { type: 'sqs', queue_url: 'https://sqs.us-east-1.amazonaws.com/123456789012/q' },
  metadata: { n: index, tags: ['a', 'b'], nested: { ok: true, none: null } },
  attempts: 1,
  acceptedAt: ACCEPTED,
  deadline: null,
  status: null,
  deliveredAt: null,
  escalatedAt: null,
  lane: { requested: 'batch', reason: 'tier batch' },
  cost: null,
});

/** A sidecar line: the request's hash is `h-<customId>` unless told. */
const lineOf = (
  batchId: string,
  index: number,
  customId: string,
  requestHash = `h-${customId}`,
): PartMemberLine => ({
  item: memberOf(batchId, index, customId),
  requestHash,
  expiresAt: EXPIRES,
});

const partOf = (batchId: string, partNo: number, firstIndex: number, count: number): BatchPart => ({
  batchId,
  partNo,
  state: 'open',
  firstIndex,
  requestCount: count,
  models: ['claude-test'],
  escalateAt: null,
  claimed: null,
});

const reservationOf = (
  requests: number,
  bytes: number,
  model = 'claude-test',
): PartReservation => ({
  requests,
  bytes,
  estimate: { byModel: { [model]: { requests, tokens: requests * 10 } }, nanoUsd: requests * 7 },
  maxRequests: 100,
  maxBytes: 10_000,
});

const COST: ItemCost = {
  day: '2026-11-26',
  model: 'claude-test',
  tag: '',
  nanoUsd: 5,
  realtimeNanoUsd: 10,
  inputTokens: 1,
  outputTokens: 2,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
};

/** Registers a request of the default producer, as intake does; its hash is `h-<customId>`. */
const registerWith =
  (ledger: RequestLedger) =>
  (
    customId: string,
    requestHash = `h-${customId}`,
    state: RegisterRequestInput['state'] = 'pending',
  ) =>
    ledger.registerRequest({
      producer: '',
      customId,
      requestHash,
      state,
      acceptedAt: ACCEPTED,
      expiresAt: EXPIRES,
    });

/** Writes a part's sidecar and opens the part, as a collector does. */
const openPartWith =
  (filling: BatchFilling, blobs: BlobStore) =>
  async (batchId: string, partNo: number, lines: PartMemberLine[]): Promise<boolean> => {
    await blobs.put(partMembersKeyOf(batchId, partNo), lines.map(encodePartMember).join(''));
    const first = Number.parseInt(lines[0]?.item.providerCustomId.slice(1) ?? '0', 10);
    return filling.openPart(partOf(batchId, partNo, first, lines.length));
  };

/** Claims one member alone through part 1 of its batch and commits the part. */
const claimAloneWith = (filling: BatchFilling, blobs: BlobStore) => {
  const openPart = openPartWith(filling, blobs);
  return async (line: PartMemberLine, now = CLAIM_AT): Promise<boolean> => {
    await openPart(line.item.batchId, 1, [line]);
    const [claim] = await filling.claimPartMembers(line.item.batchId, 1, [line], now);
    const won = claim === 'claimed';
    await filling.commitPart(
      line.item.batchId,
      1,
      won ? 1 : 0,
      won ? [] : [line.item.providerCustomId],
    );
    return won;
  };
};

/** Every member of a batch, all pages. */
const listAllWith = (members: BatchMembers) => async (batchId: string) => {
  const all: BatchItem[] = [];
  for await (const page of members.listItems(batchId)) all.push(...page);
  return all;
};

/** A state contract's subject: its own port under contract, and the other ports it needs. */
type StateSubject<Own extends keyof StatePorts, Others extends keyof StatePorts> = Subject<
  StatePorts[Own]
> &
  Pick<StatePorts, Others>;

/** The fixtures bound to the ports `P`: each where the ports it writes through are there. */
type FixturesOver<P extends keyof StatePorts> = ('ledger' extends P
  ? { readonly register: ReturnType<typeof registerWith> }
  : unknown) &
  ('filling' | 'blobs' extends P
    ? {
        readonly openPart: ReturnType<typeof openPartWith>;
        readonly claimAlone: ReturnType<typeof claimAloneWith>;
      }
    : unknown) &
  ('members' extends P ? { readonly listAll: ReturnType<typeof listAllWith> } : unknown);

/** The state ports a subject `S` of the port `Own` brings: its own and the others it holds. */
type PortsOf<Own extends keyof StatePorts, S> = Own | Extract<keyof S, keyof StatePorts>;

/** What a case of a state contract works with: the subject, each port by name, the fixtures. */
type OpenedState<Own extends keyof StatePorts, S> = { readonly subject: S } & Pick<
  StatePorts,
  PortsOf<Own, S>
> &
  FixturesOver<PortsOf<Own, S>>;

/**
 * Opens a subject for one case: its port under the port's own name (`filling`, `ledger`, …)
 * beside the others, and the fixtures bound to them, so that every suite's cases read the same.
 */
const openState = <Own extends keyof StatePorts, S extends Subject<StatePorts[Own]>>(
  own: Own,
  subject: S,
): OpenedState<Own, S> => {
  const ports: Partial<StatePorts> = { ...(subject as Partial<StatePorts>), [own]: subject.port };
  const { ledger, filling, members, blobs } = ports;
  return {
    ...ports,
    subject,
    ...(ledger && { register: registerWith(ledger) }),
    ...(filling &&
      blobs && {
        openPart: openPartWith(filling, blobs),
        claimAlone: claimAloneWith(filling, blobs),
      }),
    ...(members && { listAll: listAllWith(members) }),
  } as OpenedState<Own, S>;
};

export {
  ACCEPTED,
  batchOf,
  CLAIM_AT,
  COST,
  claimAloneWith,
  EXPIRES,
  fillingBatch,
  lineOf,
  listAllWith,
  memberOf,
  openPartWith,
  openState,
  partOf,
  registerWith,
  reservationOf,
  type StatePorts,
  type StateSubject,
  uid,
};
