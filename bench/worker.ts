import { writeFileSync } from 'node:fs';
import type { Phase, PhaseInput, PhaseResult } from './phaseTypes.js';

/**
 * One bench phase in a fresh process, so each RSS peak is that phase's alone. Reads its
 * input from the environment and writes its result as JSON to `BENCH_OUT`. Phases are
 * imported on demand: the anchors never load batchlane's modules.
 */
const readInput = (): PhaseInput => {
  const env = process.env;
  const number = (name: string, fallback: number): number => {
    const value = Number(env[name] ?? fallback);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
    return value;
  };
  return {
    phase: (env.BENCH_PHASE ?? '') as Phase,
    size: number('BENCH_SIZE', 10_000),
    runId: env.BENCH_RUN_ID ?? 'bench',
    invocationSize: number('BENCH_INVOCATION_SIZE', 1_000),
    artifactsBucket: env.BATCHLANE_BUCKET_NAME ?? '',
    tableName: env.BATCHLANE_TABLE_NAME ?? '',
    resultsBucket: env.BENCH_RESULTS_BUCKET ?? '',
    collectorBudgetMs: number('BENCH_COLLECTOR_BUDGET_MS', 600_000),
    batchId: env.BENCH_BATCH_ID ?? null,
  };
};

const runPhase = async (input: PhaseInput): Promise<PhaseResult> => {
  switch (input.phase) {
    case 'pack-anchor':
      return (await import('./anchors.js')).packAnchor(input);
    case 'ledger-anchor':
      return (await import('./anchors.js')).ledgerAnchor(input);
    case 'read-anchor':
      return (await import('./anchors.js')).readAnchor(input);
    case 'deliver-anchor':
      return (await import('./anchors.js')).deliverAnchor(input);
    case 'collector':
      return (await import('./phases.js')).collectorPhase(input);
    case 'seed':
      return (await import('./phases.js')).seedPhase(input);
    case 'completion':
      return (await import('./phases.js')).completionPhase(input);
  }
};

const main = async (): Promise<void> => {
  const out = process.env.BENCH_OUT;
  if (out === undefined) throw new Error('BENCH_OUT is required');
  const result = await runPhase(readInput());
  writeFileSync(out, JSON.stringify(result));
};

main().then(
  // Lingering keep-alive sockets must not hold the process open.
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
