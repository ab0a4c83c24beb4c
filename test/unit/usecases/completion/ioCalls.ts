export {
  type CrashPlan,
  InjectedCrash,
  type IoLog,
  instrumentIo,
} from '../../../support/ioCrashes.js';
