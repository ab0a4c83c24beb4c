/** A budget period: a UTC day (`YYYY-MM-DD`) and the month it is in (`YYYY-MM`). */
interface BudgetPeriod {
  readonly day: string;
  readonly month: string;
}

/** The period a moment falls in (UTC). */
const budgetPeriodOf = (at: Date): BudgetPeriod => {
  const iso = at.toISOString();
  return { day: iso.slice(0, 10), month: iso.slice(0, 7) };
};

/**
 * When a period's counters may be forgotten (epoch seconds): a day after the month ends, so
 * a late settlement still finds them, and no reservation outlives its period by much.
 */
const budgetExpiryOf = (period: BudgetPeriod): number => {
  const [year = 1970, month = 1] = period.month.split('-').map(Number);
  return Math.floor(Date.UTC(year, month, 2) / 1000);
};

export { type BudgetPeriod, budgetExpiryOf, budgetPeriodOf };
