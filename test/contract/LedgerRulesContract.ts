import { describe, expect, it } from 'vitest';
import {
  claimDecisionOf,
  claimedEntryOf,
  memberClaimOf,
} from '../../shared/adapters/aws/state/ledgerClaimRule.js';
import {
  marksRealtime,
  marksRefused,
  registeredRecordOf,
  registrationDecisionOf,
} from '../../shared/adapters/aws/state/requestLedgerRules.js';
import { requestToItem, type StateItem } from '../../shared/adapters/aws/stateItemCodec.js';
import type { RegisterRequestInput } from '../../shared/ports/RequestLedger.js';
import {
  BATCH,
  CLAIM_CASES,
  type EntryShape,
  entryItemOf,
  HASH,
  MARK_REALTIME_CASES,
  MARK_REFUSED_CASES,
  NOW,
  REGISTER_CASES,
} from './ledgerRuleCases.js';
import {
  ACCEPTED,
  batchOf,
  EXPIRES,
  lineOf,
  openState,
  type StateSubject,
  uid,
} from './stateFixtures.js';

/**
 * The ledger ports over a fresh table, and a way under them to the raw entries: put one as
 * stored, read one back (undefined when there is none).
 */
type LedgerRulesSubject = StateSubject<'ledger', 'records' | 'filling' | 'blobs'> & {
  putLedgerEntry(item: StateItem): Promise<void>;
  ledgerEntryOf(customId: string): Promise<StateItem | undefined>;
};

/**
 * Each ledger rule's decision table (`ledgerRuleCases.ts`), row by row: the decision function
 * answers the row's decision, and the port, given the row's entry, answers the same and writes
 * exactly when the decision is to write. Run against the fake, which applies the decisions, and
 * against DynamoDB, whose condition expressions must then agree with them.
 */
const describeLedgerRulesContract = (
  name: string,
  make: () => Promise<LedgerRulesSubject> | LedgerRulesSubject,
): void => {
  describe(`ledger rules: ${name}`, () => {
    const open = async () => openState('ledger', await make());

    /** Puts each row's entry under an id of its own; the ids, in row order. */
    const seed = async (
      subject: LedgerRulesSubject,
      entries: readonly (EntryShape | undefined)[],
    ): Promise<{ ids: string[]; before: (StateItem | undefined)[] }> => {
      const ids = entries.map(() => uid('rule'));
      const before = entries.map((entry, i) =>
        entry === undefined ? undefined : entryItemOf(ids[i] ?? '', entry),
      );
      for (const item of before) if (item !== undefined) await subject.putLedgerEntry(item);
      return { ids, before };
    };

    it('claimDecisionOf: the decision table, and claims decided by it', async () => {
      const { subject, records, filling, openPart } = await open();
      try {
        const { ids, before } = await seed(
          subject,
          CLAIM_CASES.map((row) => row.entry),
        );
        await records.createBatch(batchOf(BATCH));
        const rows = [];
        for (const [i, row] of CLAIM_CASES.entries()) {
          // A part per row, each of one member: the same member of the same batch every time.
          const line = lineOf(BATCH, 1, ids[i] ?? '', HASH);
          await openPart(BATCH, i + 1, [line]);
          const [claim] = await filling.claimPartMembers(BATCH, i + 1, [line], NOW);
          const after = await subject.ledgerEntryOf(line.item.customId);
          rows.push({
            row: row.name,
            decision: claimDecisionOf(before[i], line, NOW),
            claim,
            written: row.decision === 'take' ? claimedEntryOf(line) : before[i],
            after,
          });
        }
        expect(rows.map(({ row, decision }) => [row, decision])).toEqual(
          CLAIM_CASES.map((row) => [row.name, row.decision]),
        );
        for (const { row, decision, claim, written, after } of rows) {
          expect([row, claim]).toEqual([row, memberClaimOf(decision)]);
          expect([row, after]).toEqual([row, written]);
        }
      } finally {
        await subject.close?.();
      }
    });

    it('registrationDecisionOf: the decision table, and registrations decided by it', async () => {
      const { subject, ledger } = await open();
      try {
        const { ids, before } = await seed(
          subject,
          REGISTER_CASES.map((row) => row.entry),
        );
        const rows = [];
        for (const [i, row] of REGISTER_CASES.entries()) {
          const input: RegisterRequestInput = {
            producer: '',
            customId: ids[i] ?? '',
            requestHash: HASH,
            state: row.state,
            acceptedAt: ACCEPTED,
            expiresAt: EXPIRES,
          };
          const outcome = await ledger.registerRequest(input);
          rows.push({
            row: row.name,
            decision: registrationDecisionOf(input, before[i]),
            outcome,
            written: row.kind === 'new' ? requestToItem(registeredRecordOf(input)) : before[i],
            after: await subject.ledgerEntryOf(input.customId),
          });
        }
        expect(rows.map(({ row, decision }) => [row, decision.kind])).toEqual(
          REGISTER_CASES.map((row) => [row.name, row.kind]),
        );
        for (const { row, decision, outcome, written, after } of rows) {
          expect([row, outcome]).toEqual([row, decision]);
          expect([row, after]).toEqual([row, written]);
        }
      } finally {
        await subject.close?.();
      }
    });

    it('marksRefused: the decision table, and marks decided by it', async () => {
      const { subject, ledger } = await open();
      try {
        const { ids, before } = await seed(
          subject,
          MARK_REFUSED_CASES.map((row) => row.entry),
        );
        for (const [i, row] of MARK_REFUSED_CASES.entries()) {
          const id = ids[i] ?? '';
          expect([row.name, marksRefused(before[i])]).toEqual([row.name, row.applies]);
          await ledger.markRefused('', id);
          const expected = row.applies ? { ...before[i], state: 'rejected' } : before[i];
          expect([row.name, await subject.ledgerEntryOf(id)]).toEqual([row.name, expected]);
        }
      } finally {
        await subject.close?.();
      }
    });

    it('marksRealtime: the decision table, and marks decided by it', async () => {
      const { subject, ledger } = await open();
      try {
        const { ids, before } = await seed(
          subject,
          MARK_REALTIME_CASES.map((row) => row.entry),
        );
        for (const [i, row] of MARK_REALTIME_CASES.entries()) {
          const id = ids[i] ?? '';
          expect([row.name, marksRealtime(before[i], HASH)]).toEqual([row.name, row.applies]);
          expect([row.name, await ledger.markRealtime('', id, HASH)]).toEqual([
            row.name,
            row.applies,
          ]);
          const expected = row.applies ? { ...before[i], state: 'realtime' } : before[i];
          expect([row.name, await subject.ledgerEntryOf(id)]).toEqual([row.name, expected]);
        }
      } finally {
        await subject.close?.();
      }
    });
  });
};

export { describeLedgerRulesContract, type LedgerRulesSubject };
