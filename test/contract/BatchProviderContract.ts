import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProviderEndpoint } from '../../shared/contract/providers.js';
import { AuthError, NotFoundError } from '../../shared/domain/errors.js';
import { type ParsedResultLine, parseResultLine } from '../../shared/domain/parseResultLine.js';
import type {
  BatchProvider,
  ProviderBatchSnapshot,
  SubmitBatchInput,
} from '../../shared/ports/BatchProvider.js';
import type { Subject } from './subject.js';

interface BatchProviderSubject extends Subject<BatchProvider> {
  readonly endpoint: ProviderEndpoint;
  /** An input line the provider answers successfully. */
  line(customId: string): string;
  /** The custom id of a request the provider will refuse (`invalid_request_error`). */
  refusedId(base: string): string;
  /** Polls until the batch has ended (a fake lets its time pass). */
  waitForEnded(providerBatchId: string): Promise<ProviderBatchSnapshot>;
  /** Makes the next batch run long enough to be cancelled while it runs. */
  slowDown(): void;
  /** A provider of the same kind whose key the provider refuses. */
  readonly wrongKey: BatchProvider;
}

const inputOf = (
  batchId: string,
  endpoint: ProviderEndpoint,
  lines: readonly string[],
): SubmitBatchInput => {
  const jsonl = `${lines.join('\n')}\n`;
  return {
    batchId,
    endpoint,
    openInput: async () => Readable.from([Buffer.from(jsonl)]),
    requestCount: lines.length,
    inputBytes: Buffer.byteLength(jsonl),
  };
};

const resultsOf = async (
  provider: BatchProvider,
  snapshot: ProviderBatchSnapshot,
): Promise<Map<string, ParsedResultLine>> => {
  const results = new Map<string, ParsedResultLine>();
  for (const ref of snapshot.resultRefs) {
    const lines = createInterface({ input: await provider.openResults(ref), crlfDelay: Infinity });
    for await (const line of lines) {
      if (line === '') continue;
      const parsed = parseResultLine(provider.name, line);
      results.set(parsed.providerCustomId, parsed);
    }
  }
  return results;
};

/**
 * What every {@link BatchProvider} does: a submitted batch runs, then ends with result files
 * whose lines `parseResultLine` reads, one per request by its custom id, the refused ones
 * `errored` and not retryable; a cancelled batch ends with its requests `canceled`; a batch it
 * does not know is `NotFoundError`; a refused key is `AuthError`; a batch submitted and then
 * lost track of is found again from the hint, and none is found for a hint nothing fits.
 */
const describeBatchProviderContract = (
  name: string,
  makeSubject: () => Promise<BatchProviderSubject>,
) => {
  describe(`BatchProvider contract: ${name}`, () => {
    let subject: BatchProviderSubject;
    let provider: BatchProvider;

    beforeAll(async () => {
      subject = await makeSubject();
      provider = subject.port;
    });
    afterAll(() => subject.close?.());

    it('runs a submitted batch to its end, with a result per request by custom id', async () => {
      const refused = subject.refusedId('bad');
      const lines = [subject.line('ok-1'), subject.line('ok-2'), subject.line(refused)];
      const submitted = await provider.submit(inputOf('b_run', subject.endpoint, lines));
      expect(submitted).toMatchObject({ phase: 'running', failure: null, resultRefs: [] });
      expect(submitted.providerBatchId).not.toBe('');
      expect(await provider.retrieve(submitted.providerBatchId)).toMatchObject({
        providerBatchId: submitted.providerBatchId,
      });

      const ended = await subject.waitForEnded(submitted.providerBatchId);
      expect(ended).toMatchObject({ phase: 'ended', failure: null });
      expect(ended.endedAt).not.toBeNull();
      expect(ended.resultRefs.length).toBeGreaterThan(0);
      const results = await resultsOf(provider, ended);
      expect([...results.keys()].sort()).toEqual(['ok-1', 'ok-2', refused].sort());
      for (const id of ['ok-1', 'ok-2']) {
        expect(results.get(id)).toMatchObject({
          status: 'succeeded',
          error: null,
          retryable: false,
        });
        expect(results.get(id)?.response).not.toBeNull();
        expect(results.get(id)?.usage?.output_tokens).toBeGreaterThan(0);
      }
      expect(results.get(refused)).toMatchObject({
        status: 'errored',
        error: { type: 'invalid_request_error' },
        retryable: false,
      });
    });

    it('ends a batch cancelled while it runs with its requests canceled', async () => {
      subject.slowDown();
      const lines = [subject.line('c-1'), subject.line('c-2')];
      const submitted = await provider.submit(inputOf('b_cancel', subject.endpoint, lines));
      const cancelling = await provider.cancel(submitted.providerBatchId);
      expect(cancelling.phase).toBe('running');
      const ended = await subject.waitForEnded(submitted.providerBatchId);
      const results = await resultsOf(provider, ended);
      expect([...results.keys()].sort()).toEqual(['c-1', 'c-2']);
      for (const result of results.values()) {
        expect(result).toMatchObject({ status: 'canceled', retryable: false, response: null });
      }
    });

    it('finds a batch it lost track of from the hint, and none when nothing fits', async () => {
      if (provider.findByBatchId === undefined) return;
      const since = new Date(Date.now() - 60_000);
      const lines = Array.from({ length: 5 }, (_, i) => subject.line(`f-${i}`));
      const submitted = await provider.submit(inputOf('b_lost', subject.endpoint, lines));
      const found = await provider.findByBatchId('b_lost', {
        submittedAfter: since,
        requestCount: 5,
      });
      expect(found?.providerBatchId).toBe(submitted.providerBatchId);
      expect(
        await provider.findByBatchId('b_other', { submittedAfter: since, requestCount: 17 }),
      ).toBeNull();
    });

    it('refuses a batch it does not know with NotFoundError', async () => {
      await expect(provider.retrieve('batch_does_not_exist_0000')).rejects.toBeInstanceOf(
        NotFoundError,
      );
    });

    it('refuses a wrong key with AuthError, not retryable', async () => {
      const submit = subject.wrongKey.submit(
        inputOf('b_key', subject.endpoint, [subject.line('k-1')]),
      );
      await expect(submit).rejects.toBeInstanceOf(AuthError);
      await expect(submit).rejects.toMatchObject({ retryable: false });
    });
  });
};

export { type BatchProviderSubject, describeBatchProviderContract };
