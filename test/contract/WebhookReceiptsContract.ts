import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { WebhookReceipts } from '../../shared/ports/WebhookReceipts.js';

/** What every `WebhookReceipts` must do; run against the fake and against DynamoDB. */
const describeWebhookReceiptsContract = (
  name: string,
  make: (nowSeconds: () => number) => Promise<WebhookReceipts> | WebhookReceipts,
): void => {
  describe(`WebhookReceipts contract: ${name}`, () => {
    let now = 2_000_000_000;
    const nowSeconds = () => now;
    const freshId = () => `wh_${randomUUID()}`;

    it('claims an id once; a second claim of it is refused', async () => {
      const receipts = await make(nowSeconds);
      const id = freshId();
      expect(await receipts.claim('openai', id, now + 3600)).toBe(true);
      expect(await receipts.claim('openai', id, now + 3600)).toBe(false);
    });

    it('tells providers apart: the same id from another provider is its own', async () => {
      const receipts = await make(nowSeconds);
      const id = freshId();
      expect(await receipts.claim('openai', id, now + 3600)).toBe(true);
      expect(await receipts.claim('gemini', id, now + 3600)).toBe(true);
    });

    it('lets an id be claimed again once released', async () => {
      const receipts = await make(nowSeconds);
      const id = freshId();
      expect(await receipts.claim('gemini', id, now + 3600)).toBe(true);
      await receipts.release('gemini', id);
      expect(await receipts.claim('gemini', id, now + 3600)).toBe(true);
      expect(await receipts.claim('gemini', id, now + 3600)).toBe(false);
      // Releasing what was never claimed is not an error.
      await expect(receipts.release('gemini', freshId())).resolves.toBeUndefined();
    });

    it('treats a claim past its TTL as gone, even before it is deleted', async () => {
      const receipts = await make(nowSeconds);
      const id = freshId();
      expect(await receipts.claim('openai', id, now + 60)).toBe(true);
      now += 61;
      expect(await receipts.claim('openai', id, now + 60)).toBe(true);
      expect(await receipts.claim('openai', id, now + 60)).toBe(false);
    });

    it('lets exactly one of many concurrent claims of an id win', async () => {
      const receipts = await make(nowSeconds);
      const id = freshId();
      const results = await Promise.all(
        Array.from({ length: 8 }, () => receipts.claim('openai', id, now + 3600)),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
    });
  });
};

export { describeWebhookReceiptsContract };
