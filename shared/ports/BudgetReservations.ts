import type { BudgetPeriod } from '../domain/budgetPeriod.js';

/** What is reserved in a day and its month, in nano-dollars. */
interface BudgetUsage {
  readonly dayNanoUsd: number;
  readonly monthNanoUsd: number;
}

/**
 * Spending reserved against the deployment's budgets, one counter per day and per month,
 * shared by every function. Admitting work adds its worst-case cost atomically, under the
 * condition that the counter stays within the budget, so concurrent collectors cannot pass
 * it together; costing the work settles the counter to what it really cost. Counters expire
 * with their period, so a reservation a crash never settled is gone when the period turns.
 */
interface BudgetReservations {
  /** What is reserved so far in the period's day and month. */
  read(period: BudgetPeriod): Promise<BudgetUsage>;

  /**
   * Adds `nanoUsd` to the day's and the month's counters if both stay within their limits
   * (null: no limit), atomically; false when either would pass its limit. Counts whole
   * nano-dollars, rounded up.
   */
  reserve(
    period: BudgetPeriod,
    nanoUsd: number,
    limits: { readonly dailyNanoUsd: number | null; readonly monthlyNanoUsd: number | null },
  ): Promise<boolean>;

  /**
   * Adds `deltaNanoUsd` (actual cost less what was reserved; negative releases) to the
   * period's counters, once per `settlementId`: a rerun after a crash changes nothing.
   */
  settle(settlementId: string, period: BudgetPeriod, deltaNanoUsd: number): Promise<void>;
}

export type { BudgetReservations, BudgetUsage };
