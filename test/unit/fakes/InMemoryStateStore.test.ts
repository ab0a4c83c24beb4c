import { describe, expect, it } from 'vitest';
import { UnavailableError } from '../../../shared/domain/errors.js';
import { FakeClock } from '../../support/fakes/FakeClock.js';
import { InMemoryBlobStore } from '../../support/fakes/InMemoryBlobStore.js';
import { InMemoryStateStore } from '../../support/fakes/InMemoryStateStore.js';

// The five state ports' contracts run against the fakes this store is made of
// (`InMemoryRequestLedger.test.ts` and its neighbours); what is the fake's alone is here.

// DynamoDB Local never sweeps expired items, so the TTL is held to here alone.
describe('InMemoryStateStore ledger TTL', () => {
  it('forgets a ledger entry once its expiry has passed by the clock', async () => {
    const clock = new FakeClock('2026-11-26T10:00:00.000Z');
    const store = new InMemoryStateStore({ blobs: new InMemoryBlobStore(), clock });
    const expiresAt = Date.parse('2026-11-26T11:00:00.000Z') / 1000;
    const input = {
      producer: '',
      customId: 'c-1',
      requestHash: 'h1',
      state: 'pending' as const,
      acceptedAt: '2026-11-26T10:00:00.000Z',
      expiresAt,
    };
    expect(await store.registerRequest(input)).toEqual({ kind: 'new' });
    clock.advanceSeconds(3599);
    expect((await store.registerRequest(input)).kind).toBe('pending');
    expect(await store.markRealtime('', 'c-1', 'h1')).toBe(true);
    clock.advanceSeconds(1);
    // Swept: the id is free again, and a realtime lease finds nothing.
    expect(
      await store.leaseRealtime(
        { kind: 'request', producer: '', customId: 'c-1' },
        '2026-11-26T11:05:00.000Z',
        '2026-11-26T11:00:00.000Z',
      ),
    ).toBe('missing');
    expect(await store.registerRequest({ ...input, requestHash: 'h2' })).toEqual({ kind: 'new' });
  });
});

describe('InMemoryStateStore failures', () => {
  it('fails the next calls of a method as asked, before they change anything', async () => {
    const store = new InMemoryStateStore({ blobs: new InMemoryBlobStore() });
    const outage = new UnavailableError('table unreachable', { code: 'unavailable' });
    store.failNext('setFillingBatch', outage, 2);
    await expect(store.setFillingBatch('g', 'b1', null)).rejects.toBe(outage);
    await expect(store.setFillingBatch('g', 'b1', null)).rejects.toBe(outage);
    expect(await store.currentFillingBatch('g')).toBeNull();
    expect(await store.setFillingBatch('g', 'b1', null)).toBe(true);
    // Other methods are untouched, and a failing listing yields nothing.
    store.failNext('listItems', outage);
    const pages = store.listItems('b1')[Symbol.asyncIterator]();
    await expect(pages.next()).rejects.toBe(outage);
    expect(await pages.next()).toEqual({ done: true, value: undefined });
    // The next listing runs: the batch has no members, so it yields no page.
    const after = store.listItems('b1')[Symbol.asyncIterator]();
    expect(await after.next()).toEqual({ done: true, value: undefined });
  });
});
