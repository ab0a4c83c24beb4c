import { describeCostLedgerContract } from '../../contract/CostLedgerContract.js';
import { InMemoryCostLedger } from '../../support/fakes/InMemoryCostLedger.js';

describeCostLedgerContract('InMemoryCostLedger', async () => ({ port: new InMemoryCostLedger() }));
