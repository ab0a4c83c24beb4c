import type { RealtimeJob } from '../domain/RealtimeJob.js';

/** Hands work to the realtime lane's worker (a queue in front of it). */
interface RealtimeDispatcher {
  /** Queues a job, visible to the worker after `delaySeconds` (default 0, clamped to 0–900). */
  dispatch(job: RealtimeJob, options?: { readonly delaySeconds?: number }): Promise<void>;
}

export type { RealtimeDispatcher };
