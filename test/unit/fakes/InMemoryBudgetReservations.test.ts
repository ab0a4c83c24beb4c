import { describeBudgetReservationsContract } from '../../contract/BudgetReservationsContract.js';
import { InMemoryBudgetReservations } from '../../support/fakes/InMemoryBudgetReservations.js';

describeBudgetReservationsContract('InMemoryBudgetReservations', async () => ({
  port: new InMemoryBudgetReservations(),
}));
