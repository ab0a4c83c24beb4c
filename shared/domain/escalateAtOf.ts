/** A member as escalation sees it: whether `auto` chose its lane, and its deadline. */
interface EscalationCandidate {
  readonly lane: { readonly requested: 'batch' | 'auto' };
  readonly deadline: string | null;
}

/**
 * When a batch's `auto` members start running late: the earliest deadline among them less
 * the escalation lead, or null when none has a deadline (only `auto` members are escalated:
 * a caller who chose `batch` chose the batch lane's pace).
 */
const escalateAtOf = (members: Iterable<EscalationCandidate>, leadMs: number): string | null => {
  let earliest = Number.POSITIVE_INFINITY;
  for (const member of members) {
    if (member.lane.requested !== 'auto' || member.deadline === null) continue;
    const deadline = Date.parse(member.deadline);
    if (!Number.isNaN(deadline)) earliest = Math.min(earliest, deadline);
  }
  return Number.isFinite(earliest) ? new Date(earliest - leadMs).toISOString() : null;
};

export { type EscalationCandidate, escalateAtOf };
