import { z } from 'zod';

const HHMM = z.string().regex(/^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$/, 'HH:MM, 00:00 to 24:00');

/**
 * One provider's discount hours from one instant on: the off-peak hours of every day, read in
 * the provider's own time zone, plus whole days off-peak (weekdays, and dated holidays). A
 * schedule with no hours and no days says the provider stopped selling off-peak hours.
 */
const OffPeakScheduleSchema = z
  .object({
    /** The instant this schedule takes effect (ISO-8601 with its offset). */
    effective_from: z.iso.datetime({ offset: true }),
    /** IANA time zone the hours, weekdays and dates are read in, e.g. `Asia/Shanghai`. */
    time_zone: z.string().min(1),
    /** Off-peak hours of each day, local; `to` at or before `from` runs past midnight. */
    hours: z.array(z.object({ from: HHMM, to: HHMM }).strict()),
    /** ISO weekdays (1 Monday … 7 Sunday) off-peak all day: the weekend rule. */
    all_day_weekdays: z.array(z.number().int().min(1).max(7)).default([]),
    /** Local dates off-peak all day (public holidays), `YYYY-MM-DD`. */
    all_day_dates: z.array(z.iso.date()).default([]),
    /** The page the schedule was read from, and what is uncertain about it. */
    source: z.object({ url: z.url(), retrieved: z.iso.date(), note: z.string().optional() }),
  })
  .strict()
  .superRefine((schedule, ctx) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: schedule.time_zone });
    } catch {
      ctx.addIssue({ code: 'custom', path: ['time_zone'], message: 'not an IANA time zone' });
    }
  });

type OffPeakSchedule = z.output<typeof OffPeakScheduleSchema>;

/** A discount window: from `opens` (inclusive) to `closes` (exclusive). */
interface OffPeakWindow {
  readonly opens: Date;
  readonly closes: Date;
}

const DAY_MS = 86_400_000;
/** How far ahead a window is looked for: a week covers every weekly calendar. */
const HORIZON_DAYS = 8;

const formatters = new Map<string, Intl.DateTimeFormat>();
const formatterOf = (timeZone: string): Intl.DateTimeFormat => {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
};

/** The zone's wall clock at `instant`, read as if it were UTC (epoch ms). */
const wallClockOf = (instant: number, timeZone: string): number => {
  const parts: Record<string, number> = {};
  for (const part of formatterOf(timeZone).formatToParts(new Date(instant))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return Date.UTC(
    parts.year ?? 1970,
    (parts.month ?? 1) - 1,
    parts.day ?? 1,
    parts.hour ?? 0,
    parts.minute ?? 0,
    parts.second ?? 0,
  );
};

/** The instant a local wall-clock time (as UTC epoch ms) happens in the zone. */
const instantOf = (wallClock: number, timeZone: string): number => {
  // The offset at a first guess, then at the corrected guess (they differ across a DST change).
  let guess = wallClock - (wallClockOf(wallClock, timeZone) - wallClock);
  guess = wallClock - (wallClockOf(guess, timeZone) - guess);
  return guess;
};

const minutesOf = (hhmm: string): number => {
  const [hours = '0', minutes = '0'] = hhmm.split(':');
  return Number(hours) * 60 + Number(minutes);
};

/** ISO weekday (1 Monday … 7 Sunday) of a local midnight given as UTC epoch ms. */
const isoWeekdayOf = (localMidnight: number): number => {
  const day = new Date(localMidnight).getUTCDay();
  return day === 0 ? 7 : day;
};

/** The off-peak intervals (epoch ms) of one local day under one schedule. */
const intervalsOfDay = (schedule: OffPeakSchedule, localMidnight: number): [number, number][] => {
  const zone = schedule.time_zone;
  const date = new Date(localMidnight).toISOString().slice(0, 10);
  if (
    schedule.all_day_weekdays.includes(isoWeekdayOf(localMidnight)) ||
    schedule.all_day_dates.includes(date)
  ) {
    return [[instantOf(localMidnight, zone), instantOf(localMidnight + DAY_MS, zone)]];
  }
  return schedule.hours.map(({ from, to }) => {
    const start = minutesOf(from);
    const end = minutesOf(to) <= start ? minutesOf(to) + 24 * 60 : minutesOf(to);
    return [
      instantOf(localMidnight + start * 60_000, zone),
      instantOf(localMidnight + end * 60_000, zone),
    ];
  });
};

/** Off-peak intervals of `schedule` over local days around [from, until), clipped to both. */
const intervalsOf = (
  schedule: OffPeakSchedule,
  from: number,
  until: number,
): [number, number][] => {
  const zone = schedule.time_zone;
  const firstDay = Math.floor(wallClockOf(from, zone) / DAY_MS) * DAY_MS - DAY_MS;
  const lastDay = Math.floor(wallClockOf(until, zone) / DAY_MS) * DAY_MS;
  const intervals: [number, number][] = [];
  for (let day = firstDay; day <= lastDay; day += DAY_MS) {
    for (const [start, end] of intervalsOfDay(schedule, day)) {
      const clipped: [number, number] = [Math.max(start, from), Math.min(end, until)];
      if (clipped[0] < clipped[1]) intervals.push(clipped);
    }
  }
  return intervals;
};

/** Sorts intervals and joins those that overlap or touch (a night that runs into a weekend). */
const merged = (intervals: [number, number][]): [number, number][] => {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const interval of sorted) {
    const last = out.at(-1);
    if (last !== undefined && interval[0] <= last[1]) last[1] = Math.max(last[1], interval[1]);
    else out.push([...interval]);
  }
  return out;
};

/**
 * The off-peak window `at` falls in, or else the next one to open within a week; null when
 * none opens in that time (the provider sells no off-peak hours then). Each stretch of time
 * follows the schedule in effect then, so a change of schedule splits or moves windows.
 *
 * @example
 * ```ts
 * const window = offPeakWindowAt(table.off_peak.deepseek, new Date());
 * if (window !== null && window.opens <= now) servedAtOffPeakPrice();
 * ```
 */
const offPeakWindowAt = (
  schedules: readonly OffPeakSchedule[] | undefined,
  at: Date,
): OffPeakWindow | null => {
  if (schedules === undefined || schedules.length === 0) return null;
  const now = at.getTime();
  const until = now + HORIZON_DAYS * DAY_MS;
  const ordered = [...schedules].sort(
    (a, b) => Date.parse(a.effective_from) - Date.parse(b.effective_from),
  );
  const intervals: [number, number][] = [];
  ordered.forEach((schedule, index) => {
    const start = Date.parse(schedule.effective_from);
    const next = ordered[index + 1];
    const end = next === undefined ? until : Date.parse(next.effective_from);
    // Look back a day so a window already open at `now` is found with its true opening.
    const from = Math.max(start, now - DAY_MS);
    const to = Math.min(end, until);
    if (from < to) intervals.push(...intervalsOf(schedule, from, to));
  });
  const window = merged(intervals).find(([, end]) => end > now);
  return window === undefined ? null : { opens: new Date(window[0]), closes: new Date(window[1]) };
};

/** Whether `at` is in an off-peak window (what the provider bills at its off-peak rate). */
const isOffPeak = (schedules: readonly OffPeakSchedule[] | undefined, at: Date): boolean => {
  const window = offPeakWindowAt(schedules, at);
  return window !== null && window.opens.getTime() <= at.getTime();
};

export {
  isOffPeak,
  type OffPeakSchedule,
  OffPeakScheduleSchema,
  type OffPeakWindow,
  offPeakWindowAt,
};
