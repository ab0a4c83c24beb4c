import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPeak } from '../../local/simulator/handleDeepSeek.js';
import { type RunningSimulator, startSimulator } from '../../local/simulator/startSimulator.js';
import { costOutcome, processedAtOf } from '../../shared/domain/costOutcome.js';
import { defaultPriceTable } from '../../shared/domain/pricing/defaultPriceTable.js';
import { API_KEY } from './simulatorTestKit.js';

const HOUR = 3_600_000;
/** A simulated day in about six real seconds. */
const TIME_SCALE = 14_400;

/** The next Monday 00:00 UTC after now: a weekday, so both peak and off-peak hours come. */
const nextMondayUtc = (): number => {
  const now = new Date();
  const days = ((8 - now.getUTCDay()) % 7) + 1;
  return Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + days);
};

let sim: RunningSimulator;
let deepseek: OpenAI;
let start: number;

beforeAll(async () => {
  start = nextMondayUtc();
  sim = await startSimulator({
    seed: 7,
    apiKeys: [API_KEY],
    timeScale: TIME_SCALE,
    startAt: start,
  });
  deepseek = new OpenAI({ apiKey: API_KEY, baseURL: sim.deepseekBaseUrl, maxRetries: 0 });
});

afterAll(async () => {
  await sim.stop();
});

const ask = (text: string, model = 'deepseek-flash') =>
  deepseek.chat.completions.create({
    model,
    messages: [{ role: 'user', content: text }],
    max_tokens: 64,
  });

describe('Simulator: DeepSeek chat through the openai SDK', () => {
  it('answers a DeepSeek-shaped completion with cache hit and miss counts', async () => {
    const first = await ask('Classify: the parcel arrived late and damaged.');
    expect(first.object).toBe('chat.completion');
    expect(first.model).toBe('deepseek-flash');
    const usage = first.usage as unknown as Record<string, number>;
    expect(usage.prompt_cache_hit_tokens).toBe(0);
    expect(usage.prompt_cache_miss_tokens).toBe(usage.prompt_tokens);
    // The same prompt again: its whole 64-token units come from the cache.
    const long = 'Summarise the following incident report in one line. '.repeat(20);
    await ask(long);
    const again = (await ask(long)).usage as unknown as Record<string, number>;
    expect(again.prompt_cache_hit_tokens).toBeGreaterThan(0);
    expect((again.prompt_cache_hit_tokens ?? 0) % 64).toBe(0);
    expect((again.prompt_cache_hit_tokens ?? 0) + (again.prompt_cache_miss_tokens ?? 0)).toBe(
      again.prompt_tokens,
    );
  });

  it('refuses an unknown model with 400 and a missing key with 401, as DeepSeek does', async () => {
    const unknown = await ask('x', 'gpt-4o').catch((error: unknown) => error);
    expect(unknown).toBeInstanceOf(OpenAI.BadRequestError);
    expect((unknown as InstanceType<typeof OpenAI.BadRequestError>).message).toContain(
      'Model Not Exist',
    );
    const stranger = new OpenAI({
      apiKey: 'sk-wrong',
      baseURL: sim.deepseekBaseUrl,
      maxRetries: 0,
    });
    const refused = await stranger.chat.completions
      .create({ model: 'deepseek-flash', messages: [{ role: 'user', content: 'x' }] })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it('bills a whole simulated day hour by hour, as batchlane prices it', async () => {
    const before = sim.stats().deepseek;
    const hoursSeen = new Set<number>();
    let batchlaneNano = 0;
    let calls = 0;
    // Calls until the simulated clock has passed a whole day from the first one.
    const first = await ask('Grade answer 0');
    const dayEnd = first.created * 1000 + 24 * HOUR;
    let response = first;
    for (;;) {
      calls += 1;
      hoursSeen.add(new Date(response.created * 1000).getUTCHours());
      batchlaneNano += costOutcome(
        {
          provider: 'deepseek',
          endpoint: '/v1/chat/completions',
          model: response.model,
          lane: 'off_peak',
          response,
          at: new Date(),
          processedAt: processedAtOf(response),
          metadata: null,
        },
        defaultPriceTable,
        'tag',
      ).itemCost.nanoUsd;
      if (response.created * 1000 >= dayEnd) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
      response = await ask(`Grade answer ${calls}`);
    }
    const after = sim.stats().deepseek;
    expect(after.calls - before.calls).toBe(calls);
    expect(hoursSeen.size).toBe(24);
    // A weekday has both: 7 peak hours, 17 off-peak.
    expect(after.peakCalls - before.peakCalls).toBeGreaterThan(0);
    expect(after.offPeakCalls - before.offPeakCalls).toBeGreaterThan(
      after.peakCalls - before.peakCalls,
    );
    // The simulator's own billing and batchlane's price table agree call for call (each side
    // rounds once per call to the nano-dollar).
    expect(
      Math.abs(after.billedNanoUsd - before.billedNanoUsd - batchlaneNano),
    ).toBeLessThanOrEqual(calls);
  }, 60_000);

  it('shows the billed amount on the balance endpoint', async () => {
    const balance = (await deepseek.get('/user/balance')) as {
      is_available: boolean;
      balance_infos: { currency: string; total_balance: string }[];
    };
    expect(balance.is_available).toBe(true);
    expect(balance.balance_infos[0]?.currency).toBe('USD');
    const billed = sim.stats().deepseek.billedNanoUsd / 1e9;
    expect(Number(balance.balance_infos[0]?.total_balance)).toBeCloseTo(100 - billed, 2);
  });

  it('bills peak exactly in the published hours, weekends and holidays off-peak', () => {
    const monday = Date.UTC(2026, 11, 7);
    const peak = Array.from({ length: 24 }, (_, h) => isPeak(monday + h * HOUR));
    expect(peak.flatMap((p, h) => (p ? [h] : []))).toEqual([1, 2, 3, 6, 7, 8, 9]);
    expect(isPeak(Date.UTC(2026, 11, 12, 2))).toBe(false);
    expect(isPeak(Date.UTC(2026, 9, 1, 2))).toBe(false);
  });
});
