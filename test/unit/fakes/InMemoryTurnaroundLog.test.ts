import { describeTurnaroundLogContract } from '../../contract/TurnaroundLogContract.js';
import { InMemoryTurnaroundLog } from '../../support/fakes/InMemoryTurnaroundLog.js';

describeTurnaroundLogContract('in memory', () => new InMemoryTurnaroundLog());
