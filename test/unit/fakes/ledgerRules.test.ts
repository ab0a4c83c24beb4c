import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ledgerIdOf } from '../../../shared/domain/producer.js';
import { describeLedgerRulesContract } from '../../contract/LedgerRulesContract.js';
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
