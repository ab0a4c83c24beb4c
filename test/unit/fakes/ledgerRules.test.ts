import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { refusedClaimOf } from '../../../shared/adapters/aws/state/ledgerClaimRule.js';
import { refusedRegistrationOf } from '../../../shared/adapters/aws/state/requestLedgerRules.js';
import { ConflictError } from '../../../shared/domain/errors.js';
import { ledgerIdOf } from '../../../shared/domain/producer.js';
import { describeLedgerRulesContract } from '../../contract/LedgerRulesContract.js';
import { BATCH, entryItemOf, HASH, NOW } from '../../contract/ledgerRuleCases.js';
import { ACCEPTED, EXPIRES, lineOf } from '../../contract/stateFixtures.js';
import { inMemoryStatePorts } from '../../support/fakes/InMemoryStateStore.js';

describeLedgerRulesContract('the in-memory state table', () => {
  const ports = inMemoryStatePorts();
  const { table } = ports.ledger;
  return {
    ...ports,
    port: ports.ledger,
    putLedgerEntry: async (item) => {
      table.ledger.set(
        ledgerIdOf(String(item.producer), String(item.custom_id)),
        structuredClone(item),
      );
    },
    ledgerEntryOf: async (customId) => structuredClone(table.ledgerEntry(ledgerIdOf('', customId))),
  };
});

describe('the ledger rules', () => {
  const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
  const RULES = [
    'shared/adapters/aws/state/ledgerClaimRule.ts',
    'shared/adapters/aws/state/requestLedgerRules.ts',
  ];

  /** Every batchlane module a module reaches through its imports, itself included. */
  const reachedFrom = (file: string, seen = new Set<string>()): Set<string> => {
    if (seen.has(file)) return seen;
    seen.add(file);
    const source = readFileSync(join(ROOT, file), 'utf8');
    for (const [, specifier] of source.matchAll(/\bfrom\s*['"]([^'"]+)['"]/g)) {
      if (specifier?.startsWith('.')) {
        reachedFrom(join(dirname(file), specifier).replace(/\.js$/, '.ts'), seen);
      }
    }
    return seen;
  };

  it('import no SDK and read no environment, however deep', () => {
    const reached = [...new Set(RULES.flatMap((file) => [...reachedFrom(file)]))];
    expect(reached).toContain('shared/adapters/aws/state/stateExpressions.ts');
    const offending = reached.filter((file) =>
      /from\s*['"](@aws-sdk|@anthropic-ai|openai|@google|@mistralai)|process\.env/.test(
        readFileSync(join(ROOT, file), 'utf8'),
      ),
    );
    expect(offending).toEqual([]);
  });
});

describe("an adapter's refused write, judged by the rule", () => {
  const line = lineOf(BATCH, 1, 'req-1', HASH);
  const input = {
    producer: '',
    customId: 'req-1',
    requestHash: HASH,
    state: 'pending',
    acceptedAt: ACCEPTED,
    expiresAt: EXPIRES,
  } as const;

  it('answers a claim refused over an entry the rule keeps as the rule does', () => {
    const held = entryItemOf('req-1', { state: 'claimed', requestHash: HASH, batchId: 'b-else' });
    const other = entryItemOf('req-1', { state: 'pending', requestHash: 'h-other' });
    const own = { ...held, batch_id: BATCH, member_id: line.item.providerCustomId };
    expect(refusedClaimOf(held, line, NOW)).toBe('held');
    expect(refusedClaimOf(other, line, NOW)).toBe('conflict');
    expect(refusedClaimOf(own, line, NOW)).toBe('claimed');
  });

  it('tries a claim again when the refusal returned no entry (swept since)', () => {
    expect(refusedClaimOf(null, line, NOW)).toBe('retry');
  });

  it('refuses loudly a claim refused over an entry the rule would take', () => {
    const free = entryItemOf('req-1', { state: 'pending', requestHash: HASH });
    expect(() => refusedClaimOf(free, line, NOW)).toThrow(ConflictError);
    expect(() => refusedClaimOf(free, line, NOW)).toThrow(
      expect.objectContaining({ code: 'claim_rule_mismatch', retryable: false }),
    );
  });

  it('answers a refused registration as the rule does, on the entry returned or read', () => {
    const pending = entryItemOf('req-1', { state: 'pending', requestHash: HASH });
    for (const evaluated of [true, false]) {
      expect(refusedRegistrationOf(input, { entry: pending, evaluated })).toMatchObject({
        kind: 'pending',
        existing: { customId: 'req-1', requestHash: HASH, state: 'pending' },
      });
    }
  });

  it('tries a registration again when the entry read after it is gone or now free', () => {
    const refusal = entryItemOf('req-1', { state: 'rejecting', requestHash: 'h-bad' });
    expect(refusedRegistrationOf(input, { entry: null, evaluated: false })).toBe('retry');
    expect(refusedRegistrationOf(input, { entry: refusal, evaluated: false })).toBe('retry');
  });

  it('refuses loudly a registration refused over an entry the rule would take', () => {
    const refusal = entryItemOf('req-1', { state: 'rejecting', requestHash: 'h-bad' });
    expect(() => refusedRegistrationOf(input, { entry: refusal, evaluated: true })).toThrow(
      expect.objectContaining({ code: 'register_rule_mismatch', retryable: false }),
    );
  });
});
