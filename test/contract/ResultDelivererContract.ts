import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Destination } from '../../shared/contract/destination.js';
import type { ResultV1 } from '../../shared/contract/result.js';
import { BatchlaneError } from '../../shared/domain/errors.js';
import type { ResultDeliverer } from '../../shared/ports/ResultDeliverer.js';
import type { Subject } from './subject.js';

interface ResultDelivererSubject extends Subject<ResultDeliverer> {
  /** A destination that receives, of its own (nothing else delivers there). */
  destination(): Promise<Destination>;
  /** Every result that arrived at `destination`, whole (pointers followed), repeats included. */
  received(destination: Destination): Promise<ResultV1[]>;
  /** A deliverer and a destination it cannot get results to (gone, or unreachable). */
  undeliverable(): Promise<{ readonly port: ResultDeliverer; readonly destination: Destination }>;
}

const resultOf = (customId: string, text = `answer for ${customId} — “quoted”`): ResultV1 => ({
  schema: 'batchlane.result.v1',
  custom_id: customId,
  status: 'succeeded',
  provider: 'anthropic',
  endpoint: '/v1/messages',
  model: 'claude-test',
  batch_id: 'b_contract',
  provider_batch_id: 'msgbatch_1',
  response: { content: [{ type: 'text', text }] },
  error: null,
  usage: {
    input_tokens: 10,
    output_tokens: 20,
    cache_read_input_tokens: 0,
    cache_creation_input_tokens: 0,
  },
  cost: {
    usd: 0.00016,
    realtime_usd: 0.00032,
    saved_usd: 0.00016,
    basis: 'usage',
    billed_as: 'batch',
    price_version: 'test',
  },
  lane: { requested: 'batch', served_by: 'batch', reason: 'tier batch' },
  attempts: 1,
  metadata: { ticket: customId },
  accepted_at: '2026-11-26T10:00:00.000Z',
  submitted_at: '2026-11-26T10:01:00.000Z',
  ended_at: '2026-11-26T11:00:00.000Z',
  delivered_at: '2026-11-26T11:01:00.000Z',
});

const byId = (results: readonly ResultV1[]): ResultV1[] =>
  [...results].sort((a, b) => (a.custom_id < b.custom_id ? -1 : a.custom_id > b.custom_id ? 1 : 0));

/**
 * What every {@link ResultDeliverer} does: the results not reported failed reached the
 * destination, each whole, whatever its size (inline or by pointer); a delivery of nothing
 * sends nothing; a redelivery never brings a different result under a `custom_id`, so a
 * consumer drops repeats by it; a destination that cannot receive fails every result in the
 * report, each with a batchlane error, and nothing is thrown.
 */
const describeResultDelivererContract = (
  name: string,
  makeSubject: () => Promise<ResultDelivererSubject>,
) => {
  describe(`ResultDeliverer contract: ${name}`, () => {
    let subject: ResultDelivererSubject;

    beforeAll(async () => {
      subject = await makeSubject();
    });
    afterAll(() => subject.close?.());

    it('delivers every result whole, and reports none failed', async () => {
      const destination = await subject.destination();
      const results = Array.from({ length: 23 }, (_, n) =>
        resultOf(`c-${String(n).padStart(2, '0')}`),
      );
      const report = await subject.port.deliver(destination, results, {
        batchId: 'b_1',
        part: '1',
      });
      expect(report).toEqual({ failed: [] });
      expect(byId(await subject.received(destination))).toEqual(results);
    });

    it('delivers a result too large for one message whole, beside small ones', async () => {
      const destination = await subject.destination();
      const results = [resultOf('big', 'x'.repeat(1_200_000)), resultOf('small')];
      const report = await subject.port.deliver(destination, results, {
        batchId: 'b_2',
        part: '1',
      });
      expect(report).toEqual({ failed: [] });
      expect(byId(await subject.received(destination))).toEqual(results);
    });

    it('sends nothing for no results', async () => {
      const destination = await subject.destination();
      expect(await subject.port.deliver(destination, [], { batchId: 'b_3', part: '1' })).toEqual({
        failed: [],
      });
      expect(await subject.received(destination)).toEqual([]);
    });

    it('delivers results that never reached a batch (rejections)', async () => {
      const destination = await subject.destination();
      const rejection = { ...resultOf('refused'), status: 'rejected' as const, batch_id: null };
      const report = await subject.port.deliver(destination, [rejection], {
        batchId: null,
        part: 'r1',
      });
      expect(report).toEqual({ failed: [] });
      expect(await subject.received(destination)).toEqual([rejection]);
    });

    it('brings nothing but the same results on a redelivery, so repeats can be dropped by custom_id', async () => {
      const destination = await subject.destination();
      const results = [resultOf('r-1'), resultOf('r-2')];
      await subject.port.deliver(destination, results, { batchId: 'b_4', part: '1' });
      await subject.port.deliver(destination, results, { batchId: 'b_4', part: '1' });
      const received = await subject.received(destination);
      expect(received.length).toBeGreaterThanOrEqual(2);
      const unique = new Map(received.map((r) => [r.custom_id, r]));
      expect(byId([...unique.values()])).toEqual(results);
      for (const result of received) expect(result).toEqual(unique.get(result.custom_id));
    });

    it('reports every result failed, without throwing, when the destination cannot receive', async () => {
      const { port, destination } = await subject.undeliverable();
      const results = [resultOf('u-1'), resultOf('u-2'), resultOf('u-3')];
      const report = await port.deliver(destination, results, { batchId: 'b_5', part: '1' });
      expect(report.failed.map((f) => f.customId).sort()).toEqual(['u-1', 'u-2', 'u-3']);
      for (const failure of report.failed) expect(failure.error).toBeInstanceOf(BatchlaneError);
    });

    it('names the producer of each failed result, so results sharing an id are told apart', async () => {
      const { port, destination } = await subject.undeliverable();
      const results = [
        { ...resultOf('u-shared'), producer: 'AIDAONE' },
        { ...resultOf('u-shared'), producer: 'AIDATWO' },
        resultOf('u-shared'),
      ];
      const report = await port.deliver(destination, results, { batchId: 'b_6', part: '1' });
      const named = report.failed.map((f) => `${f.customId}/${f.producer ?? '(default)'}`);
      expect(named.sort()).toEqual(['u-shared/(default)', 'u-shared/AIDAONE', 'u-shared/AIDATWO']);
    });
  });
};

export { describeResultDelivererContract, type ResultDelivererSubject, resultOf };
