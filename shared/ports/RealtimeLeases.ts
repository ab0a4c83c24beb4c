import type { ItemDelivery } from './BatchMembers.js';

/** What the realtime lane works on: a request sent there at intake, or an escalated member. */
type RealtimeTarget =
  | { readonly kind: 'request'; readonly producer: string; readonly customId: string }
  | { readonly kind: 'member'; readonly batchId: string; readonly providerCustomId: string };

/**
 * What taking a realtime target found: `leased` to this worker; `busy` while another worker
 * holds it; `done` once delivered; `missing` when there is nothing the lane may serve.
 */
type RealtimeLease = 'leased' | 'busy' | 'done' | 'missing';

/**
 * Leases on the realtime lane's work (a request sent there at intake, or an escalated member),
 * so one worker at a time serves it and a delivered one is never served again.
 * Every method is safe to call again after a crash; conditional writes decide races.
 */
interface RealtimeLeases {
  /**
   * Leases a realtime target to one worker until `until` (see {@link RealtimeLease}). A
   * `request` is leased only while its ledger entry is the realtime lane's: in state
   * `realtime`, or still `pending` (its collector sends the job before it marks the entry
   * `realtime`, so that a crash between the two leaves a retry that sends it again: a worker
   * may come first). An entry in any other state (claimed by a batch, refused) or none answers
   * `missing`, so a job left over from a request a batch took never serves it a second time;
   * the other way round, a batch claim refuses a `pending` entry while its lease lives or once
   * it is delivered, so a batch never takes a request a worker is serving.
   * A `member` is leased on its exception item (made by `escalateMember`): `missing` when it
   * has none.
   */
  leaseRealtime(target: RealtimeTarget, until: string, now: string): Promise<RealtimeLease>;

  /** Hands a lease back before it runs out (the job failed for now and will be tried again). */
  releaseRealtime(target: RealtimeTarget): Promise<void>;

  /** Records a realtime target delivered, with its status and cost; the lease ends. */
  finishRealtime(
    target: RealtimeTarget,
    delivery: Omit<ItemDelivery, 'providerCustomId'>,
  ): Promise<void>;
}

export type { RealtimeLease, RealtimeLeases, RealtimeTarget };
