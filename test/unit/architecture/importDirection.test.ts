import { readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * What ships to Lambda (`shared/`, `functions/`) must never reach into the rooms that only
 * run on a developer's machine: a bundle that imports the simulator or the CLI would carry them
 * to Lambda, or fail there.
 */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SHIPPED = ['shared', 'functions'];
const LOCAL_ONLY = ['local', 'cli', 'bench', 'test', 'scripts', 'infra'];
/** The producer client runs in producers' programs, not in Lambda. */
const CLIENT = 'client';

const sourceFiles = (dir: string): string[] =>
  readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = posix.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|js|mjs)$/.test(entry.name) ? [path] : [];
  });

/** Every module specifier of a file: static imports and exports, dynamic imports, `new URL`. */
const specifiersOf = (source: string): string[] => {
  const found: string[] = [];
  const patterns = [
    /\b(?:import|export)\s[^'"`;]*?\sfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\(\s*['"`]([^'"`$]+)/g,
    /\bnew URL\(\s*['"`]([^'"`$]+)/g,
  ];
  for (const pattern of patterns) {
    for (const match of source.matchAll(pattern)) found.push(match[1]!);
  }
  return found;
};

const topFolderOf = (fromFile: string, specifier: string): string | undefined => {
  if (!specifier.startsWith('.')) return undefined;
  const target = posix.normalize(posix.join(posix.dirname(fromFile), specifier));
  return target.split('/')[0];
};

describe('import direction', () => {
  const violations = SHIPPED.flatMap(sourceFiles).flatMap((file) =>
    specifiersOf(readFileSync(join(ROOT, file), 'utf8'))
      .filter((specifier) => LOCAL_ONLY.includes(topFolderOf(file, specifier) ?? ''))
      .map((specifier) => `${file} imports ${specifier}`),
  );

  it('finds the shipped sources', () => {
    expect(SHIPPED.flatMap(sourceFiles).length).toBeGreaterThan(50);
  });

  it('keeps shared/ and functions/ free of local tooling, the CLI, the bench, infra and tests', () => {
    expect(violations).toEqual([]);
  });

  it('keeps shared/ and functions/ free of the producer client', () => {
    const reachClient = SHIPPED.flatMap(sourceFiles).flatMap((file) =>
      specifiersOf(readFileSync(join(ROOT, file), 'utf8'))
        .filter((specifier) => topFolderOf(file, specifier) === CLIENT)
        .map((specifier) => `${file} imports ${specifier}`),
    );
    expect(reachClient).toEqual([]);
  });

  it('would see an import that leaves the shipped rooms', () => {
    const file = 'shared/usecases/example.ts';
    expect(topFolderOf(file, '../../local/simulator/startSimulator.js')).toBe('local');
    expect(topFolderOf(file, '../../cli/main.js')).toBe('cli');
    expect(specifiersOf("const m = await import('../../test/support/x.js');")).toEqual([
      '../../test/support/x.js',
    ]);
  });
});

describe('the domain', () => {
  const domainFiles = sourceFiles('shared/domain');
  /** The domain sits at the bottom: it may lean on the contract and nothing else of batchlane. */
  const reachesOut = (file: string, specifier: string): boolean => {
    if (!specifier.startsWith('.')) return false;
    const target = posix.normalize(posix.join(posix.dirname(file), specifier));
    return !target.startsWith('shared/domain/') && !target.startsWith('shared/contract/');
  };
  const violations = domainFiles.flatMap((file) =>
    specifiersOf(readFileSync(join(ROOT, file), 'utf8'))
      .filter((specifier) => reachesOut(file, specifier))
      .map((specifier) => `${file} imports ${specifier}`),
  );

  it('imports no port, use case, adapter, config or composition', () => {
    expect(domainFiles.length).toBeGreaterThan(20);
    expect(violations).toEqual([]);
  });

  it('would see an import of a port', () => {
    expect(reachesOut('shared/domain/costs/x.ts', '../../ports/CostLedger.js')).toBe(true);
    expect(reachesOut('shared/domain/costs/x.ts', './CostEntry.js')).toBe(false);
    expect(reachesOut('shared/domain/x.ts', '../contract/result.js')).toBe(false);
  });
});

describe('the producer client', () => {
  const clientFiles = sourceFiles(CLIENT);
  /**
   * `client/` ships to producers: it may use the contract and the pure domain (the very rules
   * the collector judges by) and nothing else of batchlane: no port, adapter, configuration,
   * composition or local tooling.
   */
  const reachesOut = (file: string, specifier: string): boolean => {
    if (!specifier.startsWith('.')) return false;
    const target = posix.normalize(posix.join(posix.dirname(file), specifier));
    return ![`${CLIENT}/`, 'shared/domain/', 'shared/contract/'].some((room) =>
      target.startsWith(room),
    );
  };
  const violations = clientFiles.flatMap((file) =>
    specifiersOf(readFileSync(join(ROOT, file), 'utf8'))
      .filter((specifier) => reachesOut(file, specifier))
      .map((specifier) => `${file} imports ${specifier}`),
  );

  it('imports the contract and the domain only', () => {
    expect(clientFiles.length).toBeGreaterThan(5);
    expect(violations).toEqual([]);
  });

  it('would see an import of an adapter or of the CLI', () => {
    expect(reachesOut('client/x.ts', '../shared/adapters/aws/createAwsClients.js')).toBe(true);
    expect(reachesOut('client/x.ts', '../cli/devFile.js')).toBe(true);
    expect(reachesOut('client/x.ts', '../shared/contract/request.js')).toBe(false);
    expect(reachesOut('client/x.ts', './packMessages.js')).toBe(false);
  });
});
