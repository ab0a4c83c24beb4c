import { describe, expect, it } from 'vitest';
import { enqueuedTokensOver } from '../../../shared/domain/enqueuedTokens.js';
import type { BatchRecord } from '../../../shared/domain/records.js';

type Tokens = Parameters<typeof enqueuedTokensOver>[0];

const batch = (
  batchId: string,
  state: BatchRecord['state'],
  tokensByModel: Record<string, number>,
  provider: BatchRecord['provider'] = 'together',
): Tokens => ({
  batchId,
  provider,
  state,
  models: Object.keys(tokensByModel),
  estimate: {
    byModel: Object.fromEntries(
      Object.entries(tokensByModel).map(([model, tokens]) => [model, { requests: 1, tokens }]),
    ),
    nanoUsd: 0,
  },
});

const CAP = 1000;

describe('enqueuedTokensOver', () => {
  it('lets a batch go while its tokens and those enqueued stay within the cap', () => {
    const waiting = batch('b2', 'open', { llama: 400 });
    const active = [batch('b1', 'submitted', { llama: 600 }), waiting];

    expect(enqueuedTokensOver(waiting, active, CAP)).toBeNull();
  });

  it('holds a batch that would pass the cap, naming the model and the tokens', () => {
    const waiting = batch('b2', 'open', { llama: 401 });
    const active = [
      batch('b1', 'submitted', { llama: 300 }),
      batch('b0', 'submitting', { llama: 300 }),
      waiting,
    ];

    expect(enqueuedTokensOver(waiting, active, CAP)).toEqual({
      model: 'llama',
      enqueued: 600,
      adding: 401,
    });
  });

  it('counts only batches at the provider, of the same provider and model', () => {
    const waiting = batch('b2', 'open', { llama: 900 });
    const active = [
      batch('b1', 'open', { llama: 900 }),
      batch('b3', 'ended', { llama: 900 }),
      batch('b4', 'submitted', { mixtral: 900 }),
      batch('b5', 'submitted', { llama: 900 }, 'groq'),
      batch('b6', 'submitted', { llama: 100 }),
      waiting,
    ];

    expect(enqueuedTokensOver(waiting, active, CAP)).toBeNull();
    expect(enqueuedTokensOver(batch('b7', 'open', { llama: 901 }), active, CAP)).toEqual({
      model: 'llama',
      enqueued: 100,
      adding: 901,
    });
  });

  it('lets a batch over the cap alone go when nothing of its model is enqueued', () => {
    const waiting = batch('b2', 'open', { llama: 5000 });

    expect(enqueuedTokensOver(waiting, [waiting], CAP)).toBeNull();
  });

  it('reads a record without an estimate as holding no tokens', () => {
    const waiting = batch('b2', 'open', { llama: 500 });
    const old: Tokens = { ...batch('b1', 'submitted', { llama: 0 }), estimate: null };

    expect(
      enqueuedTokensOver(waiting, [old, batch('b3', 'submitted', { llama: 600 })], CAP),
    ).toEqual({
      model: 'llama',
      enqueued: 600,
      adding: 500,
    });
  });
});
