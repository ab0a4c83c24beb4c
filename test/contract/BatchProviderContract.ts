import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProviderEndpoint } from '../../shared/contract/providers.js';
import { AuthError, NotFoundError, PROVIDER_RESULTS_GONE } from '../../shared/domain/errors.js';
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
  /** A request the provider will refuse, and the error type its result names. */
  refused(base: string): {
    readonly line: string;
    readonly customId: string;
    readonly errorType: string;
  };
  /** A well-formed id of a batch the provider does not have. */
  readonly unknownId: string;
  /** Polls until the batch has ended (a fake lets its time pass). */
  waitForEnded(providerBatchId: string): Promise<ProviderBatchSnapshot>;
  /** Makes the next batch run long enough to be cancelled while it runs (`port` may change). */
  slowDown(): void;
  /**
   * Makes the next batches' results gone as soon as they end, as past the provider's retention
   * or deleted (Bedrock: its output objects deleted from the deployment's bucket).
   */
  expireResults?(): void;
  /** A provider of the same kind whose key the provider refuses (absent: no key of its own). */
  readonly wrongKey?: BatchProvider;
  /** The models a batch names, for providers that run one model per batch (Bedrock). */
  readonly models?: readonly string[];
}

const inputOf = (
  batchId: string,
  subject: BatchProviderSubject,
  lines: readonly string[],
): SubmitBatchInput => {
  const jsonl = `${lines.join('\n')}\n`;
  return {
    batchId,
    endpoint: subject.endpoint,
    ...(subject.models === undefined ? {} : { models: subject.models }),
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
 * `errored` and not retryable; a cancelled batch ends with no request succeeded; a batch it
 * does not know is `NotFoundError`; a refused key is `AuthError`; a batch submitted and then
 * lost track of is found again from the hint, and none is found for a hint nothing fits.
 */
const describeBatchProviderContract = (
  name: string,
  makeSubject: () => Promise<BatchProviderSubject>,
  options: { readonly checksKeys?: boolean } = {},
) => {
  describe(`BatchProvider contract: ${name}`, () => {
    let subject: BatchProviderSubject;

    beforeAll(async () => {
      subject = await makeSubject();
    });
    afterAll(() => subject.close?.());

    it('runs a submitted batch to its end, with a result per request by custom id', async () => {
      const refused = subject.refused('bad');
      const lines = [subject.line('ok-1'), subject.line('ok-2'), refused.line];
      const submitted = await subject.port.submit(inputOf('b_run', subject, lines));
      expect(submitted).toMatchObject({ phase: 'running', failure: null, resultRefs: [] });
      expect(submitted.providerBatchId).not.toBe('');
      expect(await subject.port.retrieve(submitted.providerBatchId)).toMatchObject({
        providerBatchId: submitted.providerBatchId,
      });

      const ended = await subject.waitForEnded(submitted.providerBatchId);
      expect(ended).toMatchObject({ phase: 'ended', failure: null });
      expect(ended.endedAt).not.toBeNull();
      expect(ended.resultRefs.length).toBeGreaterThan(0);
      const results = await resultsOf(subject.port, ended);
      expect([...results.keys()].sort()).toEqual(['ok-1', 'ok-2', refused.customId].sort());
      for (const id of ['ok-1', 'ok-2']) {
        expect(results.get(id)).toMatchObject({
          status: 'succeeded',
          error: null,
          retryable: false,
        });
        expect(results.get(id)?.response).not.toBeNull();
        expect(results.get(id)?.usage?.output_tokens).toBeGreaterThan(0);
      }
      expect(results.get(refused.customId)).toMatchObject({
        status: 'errored',
        error: { type: refused.errorType },
        retryable: false,
      });
    });

    it('ends a batch cancelled while it runs, none of its requests succeeded', async () => {
      subject.slowDown();
      const lines = [subject.line('c-1'), subject.line('c-2')];
      const submitted = await subject.port.submit(inputOf('b_cancel', subject, lines));
      const cancelling = await subject.port.cancel(submitted.providerBatchId);
      expect(cancelling.providerBatchId).toBe(submitted.providerBatchId);
      const ended = await subject.waitForEnded(submitted.providerBatchId);
      // Requests cut off have a `canceled` result, or none (Gemini): either way not succeeded.
      const results = await resultsOf(subject.port, ended);
      for (const id of results.keys()) expect(['c-1', 'c-2']).toContain(id);
      for (const result of results.values()) {
        expect(result).toMatchObject({ status: 'canceled', retryable: false, response: null });
      }
    });

    it('finds a batch it lost track of from the hint, and none when nothing fits', async ({
      skip,
    }) => {
      // Reported as skipped, not passed, for a provider that cannot look a batch up.
      if (subject.port.findByBatchId === undefined) return skip();
      const since = new Date(Date.now() - 60_000);
      const lines = Array.from({ length: 5 }, (_, i) => subject.line(`f-${i}`));
      const submitted = await subject.port.submit(inputOf('b_lost', subject, lines));
      const found = await subject.port.findByBatchId('b_lost', {
        submittedAfter: since,
        requestCount: 5,
      });
      expect(found?.providerBatchId).toBe(submitted.providerBatchId);
      expect(
        await subject.port.findByBatchId('b_other', { submittedAfter: since, requestCount: 17 }),
      ).toBeNull();
    });

    it('says results past the provider retention are gone for good, not retryable', async ({
      skip,
    }) => {
      if (subject.expireResults === undefined) return skip();
      subject.expireResults();
      const submitted = await subject.port.submit(
        inputOf('b_gone', subject, [subject.line('g-1')]),
      );
      const ended = await subject.waitForEnded(submitted.providerBatchId);
      expect(ended.resultRefs.length).toBeGreaterThan(0);
      for (const ref of ended.resultRefs) {
        const opened = subject.port.openResults(ref);
        await expect(opened).rejects.toBeInstanceOf(NotFoundError);
        await expect(opened).rejects.toMatchObject({
          code: PROVIDER_RESULTS_GONE,
          retryable: false,
        });
      }
    });

    it('refuses a batch it does not know with NotFoundError', async () => {
      await expect(subject.port.retrieve(subject.unknownId)).rejects.toBeInstanceOf(NotFoundError);
    });

    // Bedrock signs with the function's role: it has no key of its own to refuse.
    it.runIf(options.checksKeys ?? true)(
      'refuses a wrong key with AuthError, not retryable',
      async () => {
        if (subject.wrongKey === undefined) throw new Error('the subject gives no wrong key');
        const submit = subject.wrongKey.submit(inputOf('b_key', subject, [subject.line('k-1')]));
        await expect(submit).rejects.toBeInstanceOf(AuthError);
        await expect(submit).rejects.toMatchObject({ retryable: false });
      },
    );
  });
};

export { type BatchProviderSubject, describeBatchProviderContract };
