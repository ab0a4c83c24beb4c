import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BudgetPeriod } from '../../shared/domain/budgetPeriod.js';
import type { BudgetReservations } from '../../shared/ports/BudgetReservations.js';
import type { Subject } from './subject.js';

/** A period no other test of the run uses: counters of real stores outlive a test. */
let nextYear = 3000 + Math.floor(Math.random() * 5000);
const freshPeriod = (): BudgetPeriod => {
  nextYear += 1;
  return { day: `${nextYear}-01-01`, month: `${nextYear}-01` };
};

const NO_LIMITS = { dailyNanoUsd: null, monthlyNanoUsd: null };

/**
 * What every {@link BudgetReservations} does: reservations add to the day and the month only
 * while both stay within their limits, atomically, even when they race; a settlement moves
 * both counters by its delta once per settlement id; reads see every change.
 */
const describeBudgetReservationsContract = (
  name: string,
  makeSubject: () => Promise<Subject<BudgetReservations>>,
) => {
  describe(`BudgetReservations contract: ${name}`, () => {
    let subject: Subject<BudgetReservations>;
    let budgets: BudgetReservations;

    beforeAll(async () => {
      subject = await makeSubject();
      budgets = subject.port;
    });
    afterAll(() => subject.close?.());

    it('reads zero for a period nothing was reserved in', async () => {
      expect(await budgets.read(freshPeriod())).toEqual({ dayNanoUsd: 0, monthNanoUsd: 0 });
    });

    it('reserves while the day and the month stay within their limits, and no further', async () => {
      const period = freshPeriod();
      const limits = { dailyNanoUsd: 100, monthlyNanoUsd: 150 };
      expect(await budgets.reserve(period, 60, limits)).toBe(true);
      expect(await budgets.reserve(period, 41, limits)).toBe(false);
      expect(await budgets.reserve(period, 40, limits)).toBe(true);
      expect(await budgets.reserve(period, 1, limits)).toBe(false);
      expect(await budgets.read(period)).toEqual({ dayNanoUsd: 100, monthNanoUsd: 100 });
    });

    it('refuses a first reservation that does not fit on its own', async () => {
      const period = freshPeriod();
      expect(await budgets.reserve(period, 101, { dailyNanoUsd: 100, monthlyNanoUsd: null })).toBe(
        false,
      );
      expect(await budgets.reserve(period, 101, { dailyNanoUsd: null, monthlyNanoUsd: 100 })).toBe(
        false,
      );
      expect(await budgets.read(period)).toEqual({ dayNanoUsd: 0, monthNanoUsd: 0 });
    });

    it('holds the month across days and moves neither counter when one refuses', async () => {
      const period = freshPeriod();
      const nextDay = { ...period, day: `${period.month}-02` };
      const limits = { dailyNanoUsd: 100, monthlyNanoUsd: 150 };
      expect(await budgets.reserve(period, 100, limits)).toBe(true);
      // The new day has room; the month has not.
      expect(await budgets.reserve(nextDay, 60, limits)).toBe(false);
      expect(await budgets.read(nextDay)).toEqual({ dayNanoUsd: 0, monthNanoUsd: 100 });
      expect(await budgets.reserve(nextDay, 50, limits)).toBe(true);
      expect(await budgets.read(nextDay)).toEqual({ dayNanoUsd: 50, monthNanoUsd: 150 });
      expect(await budgets.read(period)).toEqual({ dayNanoUsd: 100, monthNanoUsd: 150 });
    });

    it('reserves without bound when there is no limit, and counts whole nano-dollars up', async () => {
      const period = freshPeriod();
      expect(await budgets.reserve(period, 5e12, NO_LIMITS)).toBe(true);
      expect(await budgets.reserve(period, 0.25, NO_LIMITS)).toBe(true);
      expect(await budgets.read(period)).toEqual({ dayNanoUsd: 5e12 + 1, monthNanoUsd: 5e12 + 1 });
    });

    it('settles once per settlement id: a release, then an overrun, each applied once', async () => {
      const period = freshPeriod();
      expect(
        await budgets.reserve(period, 1_000, { dailyNanoUsd: 1_000, monthlyNanoUsd: null }),
      ).toBe(true);
      await budgets.settle('batch:b1', period, -700);
      await budgets.settle('batch:b1', period, -700);
      expect(await budgets.read(period)).toEqual({ dayNanoUsd: 300, monthNanoUsd: 300 });
      // What was really spent may pass the limit: a settlement records it, it asks no room.
      await budgets.settle('batch:b2', period, 900);
      expect(await budgets.read(period)).toEqual({ dayNanoUsd: 1_200, monthNanoUsd: 1_200 });
      await budgets.settle('batch:b2', period, 900);
      expect(await budgets.read(period)).toEqual({ dayNanoUsd: 1_200, monthNanoUsd: 1_200 });
    });

    it('applies a settlement id once even when the rerun races the first run', async () => {
      const period = freshPeriod();
      await Promise.all([
        budgets.settle('batch:race', period, 40),
        budgets.settle('batch:race', period, 40),
        budgets.settle('batch:race', period, 40),
      ]);
      expect(await budgets.read(period)).toEqual({ dayNanoUsd: 40, monthNanoUsd: 40 });
    });

    it('lets no two racing reservations pass the limit together', async () => {
      const period = freshPeriod();
      const outcomes = await Promise.all(
        Array.from({ length: 12 }, () =>
          budgets.reserve(period, 10, { dailyNanoUsd: 45, monthlyNanoUsd: null }),
        ),
      );
      expect(outcomes.filter(Boolean)).toHaveLength(4);
      expect(await budgets.read(period)).toEqual({ dayNanoUsd: 40, monthNanoUsd: 40 });
    });
  });
};

export { describeBudgetReservationsContract };
