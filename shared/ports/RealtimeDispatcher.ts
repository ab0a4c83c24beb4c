import type { RealtimeJob } from '../domain/RealtimeJob.js';

/** Hands work to the realtime lane's worker (a queue in front of it). */
interface RealtimeDispatcher {
  dispatch(job: RealtimeJob): Promise<void>;
}

export type { RealtimeDispatcher };
