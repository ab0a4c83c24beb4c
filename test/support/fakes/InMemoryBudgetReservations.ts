import type { BudgetPeriod } from '../../../shared/domain/budgetPeriod.js';
import type { BudgetReservations, BudgetUsage } from '../../../shared/ports/BudgetReservations.js';

type Limits = Parameters<BudgetReservations['reserve']>[2];

/**
 * {@link BudgetReservations} in memory, with the DynamoDB adapter's arithmetic: a reservation
 * counts whole nano-dollars rounded up (never negative), a settlement delta rounded to the
 * nearest, and both counters move together or not at all. JavaScript runs each call to its
 * end before the next, which is the atomicity the adapter gets from a transaction.
 * Counters do not expire here: a test that needs a new period uses another day.
 */
class InMemoryBudgetReservations implements BudgetReservations {
  readonly #days = new Map<string, number>();
  readonly #months = new Map<string, number>();
  readonly #settled = new Set<string>();

  async read(period: BudgetPeriod): Promise<BudgetUsage> {
    return {
      dayNanoUsd: this.#days.get(period.day) ?? 0,
      monthNanoUsd: this.#months.get(period.month) ?? 0,
    };
  }

  async reserve(period: BudgetPeriod, nanoUsd: number, limits: Limits): Promise<boolean> {
    const amount = Math.max(0, Math.ceil(nanoUsd));
    const day = (this.#days.get(period.day) ?? 0) + amount;
    const month = (this.#months.get(period.month) ?? 0) + amount;
    if (limits.dailyNanoUsd !== null && day > limits.dailyNanoUsd) return false;
    if (limits.monthlyNanoUsd !== null && month > limits.monthlyNanoUsd) return false;
    this.#days.set(period.day, day);
    this.#months.set(period.month, month);
    return true;
  }

  async settle(settlementId: string, period: BudgetPeriod, deltaNanoUsd: number): Promise<void> {
    if (this.#settled.has(settlementId)) return;
    this.#settled.add(settlementId);
    const delta = Math.round(deltaNanoUsd);
    this.#days.set(period.day, (this.#days.get(period.day) ?? 0) + delta);
    this.#months.set(period.month, (this.#months.get(period.month) ?? 0) + delta);
  }

  /** The settlement ids applied so far, for assertions. */
  settlements(): readonly string[] {
    return [...this.#settled];
  }
}

export { InMemoryBudgetReservations };
