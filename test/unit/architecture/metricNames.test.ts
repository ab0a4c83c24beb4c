import { readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { METRIC_DIMENSIONS } from '../../../shared/contract/metrics.js';

/**
 * Metric names and dimensions cross from the runtime to the alarms and the dashboard; they are
 * declared once in `shared/contract/metrics.ts`. These checks read every emitting call.
 */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

const sourceFiles = (dir: string): string[] =>
  readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = posix.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });

interface Emission {
  readonly file: string;
  /** The first argument as written. */
  readonly name: string;
  /** Keys of the dimensions object, when the call passes one. */
  readonly dimensions: readonly string[];
}

/** The text of a call's arguments, from just after its opening parenthesis. */
const argumentsOf = (source: string, start: number): string => {
  let depth = 1;
  let at = start;
  while (depth > 0 && at < source.length) {
    const char = source[at];
    if (char === '(') depth += 1;
    if (char === ')') depth -= 1;
    at += 1;
  }
  return source.slice(start, at - 1);
};

/** Top-level keys of the last object literal in a call's arguments (`{ a: x, b }` → a, b). */
const dimensionKeysOf = (args: string): string[] => {
  const open = args.lastIndexOf('{');
  if (open === -1) return [];
  const body = args.slice(open + 1, args.lastIndexOf('}'));
  return body
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => part.split(':')[0]?.trim() ?? '');
};

const emissionsIn = (file: string): Emission[] => {
  const source = readFileSync(join(ROOT, file), 'utf8');
  return [...source.matchAll(/\bmetrics\.(?:count|milliseconds|percent|seconds)\(/g)].map(
    (match) => {
      const args = argumentsOf(source, (match.index ?? 0) + match[0].length);
      const name = args.split(',')[0]?.trim() ?? '';
      return { file, name, dimensions: dimensionKeysOf(args.slice(name.length)) };
    },
  );
};

// Handlers count what they refuse before any use case runs (a malformed queue message).
const emissions = [...sourceFiles('shared'), ...sourceFiles('functions')].flatMap(emissionsIn);

describe('metric names', () => {
  it('finds the emitting calls', () => {
    expect(emissions.length).toBeGreaterThan(20);
  });

  it('are emitted only by their declared constant, never as a string', () => {
    const loose = emissions
      .filter((emission) => !/^METRIC\.\w+$/.test(emission.name))
      .map((emission) => `${emission.file}: ${emission.name}`);
    expect(loose).toEqual([]);
  });

  it('carry the dimensions declared for them, and only those', () => {
    const wrong = emissions.flatMap((emission) => {
      const name = emission.name.replace(/^METRIC\./, '') as keyof typeof METRIC_DIMENSIONS;
      const declared: readonly string[] = METRIC_DIMENSIONS[name] ?? [];
      const same =
        emission.dimensions.length === declared.length &&
        emission.dimensions.every((key) => declared.includes(key));
      return same ? [] : [`${emission.file}: ${name} {${emission.dimensions.join(', ')}}`];
    });
    expect(wrong).toEqual([]);
  });

  it('declares no metric that nothing emits', () => {
    const emitted = new Set(emissions.map((emission) => emission.name.replace(/^METRIC\./, '')));
    expect(Object.keys(METRIC_DIMENSIONS).filter((name) => !emitted.has(name))).toEqual([]);
  });

  it('would see a literal name and a stray dimension', () => {
    const args = "'Foo', 1, { provider: batch.provider, lane }";
    expect(args.split(',')[0]?.trim()).toBe("'Foo'");
    expect(dimensionKeysOf(args)).toEqual(['provider', 'lane']);
    expect(dimensionKeysOf('METRIC.PollerErrors, 1')).toEqual([]);
  });
});
