import { describe, expect, it } from 'vitest';
import { defaultPriceTable } from '../../../shared/domain/pricing/defaultPriceTable.js';
import {
  isOffPeak,
  OffPeakScheduleSchema,
  offPeakWindowAt,
} from '../../../shared/domain/pricing/offPeakCalendar.js';
import { priceRequest } from '../../../shared/domain/pricing/priceRequest.js';
import type { TokenUsage } from '../../../shared/domain/pricing/TokenUsage.js';

const calendar = defaultPriceTable.off_peak.deepseek;
const at = (iso: string): Date => new Date(iso);

describe('DeepSeek off-peak calendar', () => {
  // Every hour of one weekday and one weekend day, against the published UTC peak hours.
  it('bills 01:00-04:00 and 06:00-10:00 UTC on weekdays as peak, every other hour off-peak', () => {
    const peakHours = [1, 2, 3, 6, 7, 8, 9];
    for (let hour = 0; hour < 24; hour += 1) {
      const monday = at(`2026-12-07T${String(hour).padStart(2, '0')}:30:00Z`);
      expect(isOffPeak(calendar, monday), `Monday ${hour}:30 UTC`).toBe(!peakHours.includes(hour));
      const saturday = at(`2026-12-12T${String(hour).padStart(2, '0')}:30:00Z`);
      expect(isOffPeak(calendar, saturday), `Saturday ${hour}:30 UTC`).toBe(true);
    }
  });

  it('has windows open at the boundary minute and closed at their end', () => {
    expect(isOffPeak(calendar, at('2026-12-07T04:00:00Z'))).toBe(true);
    expect(isOffPeak(calendar, at('2026-12-07T03:59:59Z'))).toBe(false);
    expect(isOffPeak(calendar, at('2026-12-07T06:00:00Z'))).toBe(false);
  });

  it('finds the next window and its end, merging a night into the weekend', () => {
    expect(offPeakWindowAt(calendar, at('2026-12-07T02:00:00Z'))).toEqual({
      opens: at('2026-12-07T04:00:00Z'),
      closes: at('2026-12-07T06:00:00Z'),
    });
    // Friday 10:00 UTC (18:00 Beijing) runs through the weekend to Monday 01:00 UTC.
    expect(offPeakWindowAt(calendar, at('2026-12-11T09:00:00Z'))).toEqual({
      opens: at('2026-12-11T10:00:00Z'),
      closes: at('2026-12-14T01:00:00Z'),
    });
  });

  it('keeps statutory holidays off-peak all day (Beijing dates)', () => {
    // Thursday 2026-10-01, 02:00 UTC would be peak on any other weekday.
    expect(isOffPeak(calendar, at('2026-10-01T02:00:00Z'))).toBe(true);
    expect(isOffPeak(calendar, at('2026-10-08T02:00:00Z'))).toBe(false);
  });

  it('follows each schedule in its own time: 2025 nights, the flat year, the 2026 hours', () => {
    // 2025: 16:30-00:30 UTC nightly.
    expect(isOffPeak(calendar, at('2025-05-06T17:00:00Z'))).toBe(true);
    expect(isOffPeak(calendar, at('2025-05-06T12:00:00Z'))).toBe(false);
    // Cancelled 2025-09-05 16:00 UTC: nothing off-peak until 2026-08-16 16:00 UTC.
    expect(isOffPeak(calendar, at('2025-12-01T17:00:00Z'))).toBe(false);
    expect(offPeakWindowAt(calendar, at('2026-08-10T00:00:00Z'))).toEqual({
      opens: at('2026-08-16T16:00:00Z'),
      closes: at('2026-08-17T01:00:00Z'),
    });
    // Before the weekend rule (Saturday 2026-08-22, 02:00 UTC): peak.
    expect(isOffPeak(calendar, at('2026-08-22T02:00:00Z'))).toBe(false);
    expect(isOffPeak(calendar, at('2026-08-29T02:00:00Z'))).toBe(true);
  });

  it('is null for a provider without a calendar', () => {
    expect(offPeakWindowAt(undefined, at('2026-12-07T02:00:00Z'))).toBeNull();
    expect(isOffPeak([], at('2026-12-07T02:00:00Z'))).toBe(false);
  });

  it('refuses a schedule in a time zone that does not exist', () => {
    const parsed = OffPeakScheduleSchema.safeParse({
      effective_from: '2026-01-01T00:00:00Z',
      time_zone: 'Mars/Olympus',
      hours: [],
      source: { url: 'https://example.com', retrieved: '2026-01-01' },
    });
    expect(parsed.success).toBe(false);
  });

  it('reads hours in a zone with daylight saving at the local clock', () => {
    const schedule = OffPeakScheduleSchema.parse({
      effective_from: '2026-01-01T00:00:00Z',
      time_zone: 'Europe/Berlin',
      hours: [{ from: '22:00', to: '06:00' }],
      source: { url: 'https://example.com', retrieved: '2026-01-01' },
    });
    // 22:00 Berlin is 21:00 UTC in winter and 20:00 UTC in summer.
    expect(offPeakWindowAt([schedule], at('2026-01-15T12:00:00Z'))?.opens).toEqual(
      at('2026-01-15T21:00:00Z'),
    );
    expect(offPeakWindowAt([schedule], at('2026-07-15T12:00:00Z'))?.opens).toEqual(
      at('2026-07-15T20:00:00Z'),
    );
  });
});

describe('pricing by the hour', () => {
  const usage: TokenUsage = {
    inputTokens: 1_000_000,
    outputTokens: 1_000_000,
    cacheReadTokens: 1_000_000,
    cacheWrite5mTokens: 0,
    cacheWrite1hTokens: 0,
    serviceTier: null,
    inferenceGeo: null,
  };
  const price = (model: string, iso: string, lane: 'off_peak' | 'realtime' = 'off_peak') =>
    priceRequest({ provider: 'deepseek', model, lane, usage, at: at(iso) }, defaultPriceTable);

  it('bills off-peak at half the peak price and says so', () => {
    const offPeak = price('deepseek-flash', '2026-12-07T05:00:00Z');
    expect(offPeak).toMatchObject({ billed_as: 'off_peak', basis: 'usage' });
    // Peak per 1M: 0.30 miss + 1.20 output + 0.006 hit = 1.506; off-peak half of it.
    expect(offPeak.realtime_usd).toBeCloseTo(1.506, 9);
    expect(offPeak.usd).toBeCloseTo(0.753, 9);
    expect(offPeak.saved_usd).toBeCloseTo(0.753, 9);
  });

  it('bills the peak price in peak hours, whatever lane sent the request', () => {
    const peak = price('deepseek-flash', '2026-12-07T02:00:00Z');
    expect(peak).toMatchObject({ billed_as: 'standard', usd: peak.realtime_usd, saved_usd: 0 });
    expect(price('deepseek-flash', '2026-12-07T05:00:00Z', 'realtime').billed_as).toBe('off_peak');
  });

  it('prices 2025 by its model rates: the reasoner at a quarter off-peak', () => {
    const night = price('deepseek-reasoner', '2025-05-06T17:00:00Z');
    expect(night.billed_as).toBe('off_peak');
    expect(night.usd).toBeCloseTo(night.realtime_usd * 0.25, 9);
    // The flat year has no off-peak price, even at night.
    expect(price('deepseek-chat', '2025-12-01T17:00:00Z').billed_as).toBe('standard');
  });
});
