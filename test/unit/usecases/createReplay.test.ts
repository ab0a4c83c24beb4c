import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import type { Destination } from '../../../shared/contract/destination.js';
import type { ResultV1 } from '../../../shared/contract/result.js';
import { parseDestinationPolicy } from '../../../shared/domain/destinationPolicy.js';
import { InvalidInputError, UnavailableError } from '../../../shared/domain/errors.js';
import type { ResultDeliverer } from '../../../shared/ports/ResultDeliverer.js';
import { createReplay } from '../../../shared/usecases/createReplay.js';
import { PARKED_ROOT, parkedPrefix } from '../../../shared/usecases/parkedPrefix.js';
import { resultOf } from '../../contract/ResultDelivererContract.js';
import { InMemoryBlobStore } from '../../support/fakes/InMemoryBlobStore.js';
import { InMemoryResultDeliverer } from '../../support/fakes/InMemoryResultDeliverer.js';
import { RecordingLogger } from '../../support/fakes/RecordingObservability.js';

const QUEUE: Destination = {
  type: 'sqs',
  queue_url: 'https://sqs.us-east-1.amazonaws.com/123456789012/results',
};
const BUS: Destination = { type: 'eventbridge', event_bus_name: 'results-bus' };

/** Parks results the way completion does: one JSONL object of `{destination, result}` lines. */
const park = async (
  blobs: InMemoryBlobStore,
  destination: Destination,
  part: string,
  results: readonly ResultV1[],
): Promise<string> => {
  const key = `${parkedPrefix(destination)}${part}.jsonl`;
  await blobs.put(
    key,
    results.map((result) => `${JSON.stringify({ destination, result })}\n`).join(''),
  );
  return key;
};

const replayWith = (blobs: InMemoryBlobStore, deliverer: ResultDeliverer, allowList = '*') => {
  const logger = new RecordingLogger();
  const replay = createReplay({
    blobs,
    deliverer,
    logger,
    policy: parseDestinationPolicy(allowList),
    region: 'us-east-1',
  });
  return { logger, replay };
};

const keysOf = async (blobs: InMemoryBlobStore): Promise<string[]> => {
  const keys: string[] = [];
  for await (const key of blobs.list(PARKED_ROOT)) keys.push(key);
  return keys;
};

describe('createReplay against the fakes', () => {
  it('delivers every parked object to its destination and deletes it', async () => {
    const blobs = new InMemoryBlobStore();
    const deliverer = new InMemoryResultDeliverer();
    const { replay } = replayWith(blobs, deliverer);
    await park(blobs, QUEUE, 'b_1-1', [resultOf('a'), resultOf('b')]);
    await park(blobs, BUS, 'b_2-1', [resultOf('c')]);
    const progress: number[] = [];
    const report = await replay({ onObject: ({ objects }) => progress.push(objects) });
    expect(report).toEqual({
      objects: 2,
      replayed: 3,
      kept: [],
      outsideAllowList: [],
      unreadable: [],
    });
    expect(deliverer.receivedAt(QUEUE).map((r) => r.custom_id)).toEqual(['a', 'b']);
    expect(deliverer.receivedAt(BUS).map((r) => r.custom_id)).toEqual(['c']);
    expect(deliverer.deliveries().map((d) => d.context)).toEqual(
      expect.arrayContaining([
        { batchId: 'b_contract', part: 'replay-b_1-1' },
        { batchId: 'b_contract', part: 'replay-b_2-1' },
      ]),
    );
    expect(progress).toEqual([1, 2]);
    expect(await keysOf(blobs)).toEqual([]);
  });

  it('keeps only what the destination still refused, so the next replay sends nothing twice', async () => {
    const blobs = new InMemoryBlobStore();
    const deliverer = new InMemoryResultDeliverer();
    const key = await park(blobs, QUEUE, 'b_1-1', [resultOf('a'), resultOf('b'), resultOf('c')]);
    deliverer.failResults(['b'], new UnavailableError('throttled', { code: 'throttled' }));
    expect(await replayWith(blobs, deliverer).replay()).toEqual({
      objects: 1,
      replayed: 2,
      kept: [key],
      outsideAllowList: [],
      unreadable: [],
    });
    const remaining = (await text(await blobs.getStream(key))).trim().split('\n');
    expect(remaining.map((line) => JSON.parse(line).result.custom_id)).toEqual(['b']);

    const recovered = new InMemoryResultDeliverer();
    expect(await replayWith(blobs, recovered).replay()).toEqual({
      objects: 1,
      replayed: 1,
      kept: [],
      outsideAllowList: [],
      unreadable: [],
    });
    expect(recovered.allResults().map((r) => r.custom_id)).toEqual(['b']);
    expect(await keysOf(blobs)).toEqual([]);
  });

  it('keeps the refused result of one producer, not another producer sharing its id', async () => {
    const blobs = new InMemoryBlobStore();
    const deliverer = new InMemoryResultDeliverer();
    // Two producers' `shared`, and one parked before producers were told apart (none named).
    const mine = { ...resultOf('shared'), producer: 'AIDAMINE' };
    const theirs = { ...resultOf('shared'), producer: 'AIDATHEIRS' };
    const legacy = resultOf('shared');
    const key = await park(blobs, QUEUE, 'b_1-1', [mine, theirs, legacy, resultOf('other')]);
    const throttled = new UnavailableError('throttled', { code: 'throttled' });
    deliverer.failResults(['shared'], throttled, { producer: 'AIDATHEIRS' });
    deliverer.failResults(['shared'], throttled, { producer: '' });
    expect(await replayWith(blobs, deliverer).replay()).toMatchObject({ replayed: 2, kept: [key] });
    const remaining = (await text(await blobs.getStream(key))).trim().split('\n');
    expect(remaining.map((line) => JSON.parse(line).result)).toEqual([theirs, legacy]);

    const recovered = new InMemoryResultDeliverer();
    expect(await replayWith(blobs, recovered).replay()).toMatchObject({ replayed: 2, kept: [] });
    // Each of the four arrived once over the two replays.
    expect([...deliverer.allResults(), ...recovered.allResults()]).toEqual(
      expect.arrayContaining([mine, theirs, legacy, resultOf('other')]),
    );
    expect(deliverer.allResults().length + recovered.allResults().length).toBe(4);
    expect(await keysOf(blobs)).toEqual([]);
  });

  it('leaves an object whose destination the allow-list does not reach untouched, sending nothing', async () => {
    const blobs = new InMemoryBlobStore();
    const deliverer = new InMemoryResultDeliverer();
    const { logger, replay } = replayWith(blobs, deliverer, 'eventbridge:results-bus');
    const parked = await park(blobs, QUEUE, 'b_1-1', [resultOf('a')]);
    const before = await text(await blobs.getStream(parked));
    await park(blobs, BUS, 'b_2-1', [resultOf('c')]);
    expect(await replay()).toEqual({
      objects: 2,
      replayed: 1,
      kept: [],
      outsideAllowList: [parked],
      unreadable: [],
    });
    expect(deliverer.receivedAt(QUEUE)).toEqual([]);
    expect(await text(await blobs.getStream(parked))).toBe(before);
    expect(logger.withMessage('parked results not replayed: outside the allow-list')).toHaveLength(
      1,
    );
  });

  it('keeps the object unchanged when the deliverer throws', async () => {
    const blobs = new InMemoryBlobStore();
    const throwing: ResultDeliverer = {
      deliver: () => Promise.reject(new UnavailableError('network down', { code: 'unavailable' })),
    };
    const key = await park(blobs, QUEUE, 'b_1-1', [resultOf('a')]);
    const before = await text(await blobs.getStream(key));
    expect(await replayWith(blobs, throwing).replay()).toEqual({
      objects: 1,
      replayed: 0,
      kept: [key],
      outsideAllowList: [],
      unreadable: [],
    });
    expect(await text(await blobs.getStream(key))).toBe(before);
  });

  it('keeps what a destination refuses for good too, for an operator to see', async () => {
    const blobs = new InMemoryBlobStore();
    const deliverer = new InMemoryResultDeliverer();
    const key = await park(blobs, QUEUE, 'b_1-1', [resultOf('a')]);
    deliverer.failDestination(QUEUE, new InvalidInputError('queue gone', { code: 'not_found' }));
    expect((await replayWith(blobs, deliverer).replay()).kept).toEqual([key]);
    expect(await blobs.exists(key)).toBe(true);
  });

  it('deletes an empty parked object, replays only under the prefix asked, and refuses others', async () => {
    const blobs = new InMemoryBlobStore();
    const deliverer = new InMemoryResultDeliverer();
    const { replay } = replayWith(blobs, deliverer);
    await blobs.put(`${parkedPrefix(QUEUE)}empty.jsonl`, '');
    await park(blobs, BUS, 'b_2-1', [resultOf('c')]);
    expect(await replay({ prefix: parkedPrefix(QUEUE) })).toEqual({
      objects: 1,
      replayed: 0,
      kept: [],
      outsideAllowList: [],
      unreadable: [],
    });
    expect(deliverer.allResults()).toEqual([]);
    expect(await keysOf(blobs)).toHaveLength(1);
    await expect(replay({ prefix: 'results/' })).rejects.toThrow(/must be under/);
  });

  it('keeps an object it cannot read, and still replays the objects after it', async () => {
    const blobs = new InMemoryBlobStore();
    const deliverer = new InMemoryResultDeliverer();
    const { logger, replay } = replayWith(blobs, deliverer);
    // Listed first (keys in order): a cut-off object, then a good one of the same destination.
    const damaged = `${parkedPrefix(QUEUE)}a_1-1.jsonl`;
    await blobs.put(
      damaged,
      `${JSON.stringify({ destination: QUEUE, result: resultOf('x') })}\n{"dest`,
    );
    const good = await park(blobs, QUEUE, 'b_1-1', [resultOf('a')]);

    const report = await replay();

    expect(report).toEqual({
      objects: 2,
      replayed: 1,
      kept: [],
      outsideAllowList: [],
      unreadable: [damaged],
    });
    expect(deliverer.receivedAt(QUEUE).map((r) => r.custom_id)).toEqual(['a']);
    expect(await blobs.exists(damaged)).toBe(true);
    expect(await blobs.exists(good)).toBe(false);
    expect(logger.at('warn').map((r) => r.attributes['key'])).toContain(damaged);
  });
});
