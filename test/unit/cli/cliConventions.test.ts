import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { COMMANDS, runCli } from '../../../cli/runCli.js';

const run = async (
  argv: string[],
): Promise<{ code: number; out: string; err: string; progress: string }> => {
  const out: string[] = [];
  const err: string[] = [];
  let progress = '';
  const code = await runCli(argv, {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    progress: {
      isTTY: false,
      write: (chunk: string) => {
        progress += chunk;
      },
    },
  });
  return { code, out: out.join('\n'), err: err.join('\n'), progress };
};

const NAMES = COMMANDS.map((c) => c.spec.name);
const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

describe('the batchlane command line', () => {
  it('has every command the README documents', () => {
    expect(NAMES).toEqual(['demo', 'dev', 'submit', 'replay', 'report', 'status', 'sim', 'smoke']);
  });

  for (const command of COMMANDS) {
    const { name, options } = command.spec;
    for (const flag of ['--help', '-h']) {
      it(`${name} ${flag} prints its usage with every option and exits 0`, async () => {
        const result = await run([name, flag]);
        expect(result.code).toBe(0);
        expect(result.err).toBe('');
        expect(result.out).toMatch(new RegExp(`^usage: batchlane ${name} \\[options\\]`));
        for (const option of [...Object.keys(options), 'help']) {
          expect(result.out).toContain(`--${option}`);
        }
      });
    }

    it(`${name} with an unknown option exits 2 with the usage on stderr`, async () => {
      const result = await run([name, '--no-such-option']);
      expect(result.code).toBe(2);
      expect(result.out).toBe('');
      expect(result.err).toContain(`batchlane ${name}: Unknown option '--no-such-option'`);
      expect(result.err).toContain(`usage: batchlane ${name} [options]`);
    });
  }

  it('has every command and every option in the README', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    for (const { spec } of COMMANDS) {
      expect(readme).toMatch(new RegExp(`^\\| \`${spec.name}( [A-Z.a-z]+)?\` \\|`, 'm'));
      for (const option of Object.keys(spec.options)) expect(readme).toContain(`--${option}`);
    }
  });

  it('lists every command in the top-level help, for --help, -h and help, exit 0', async () => {
    for (const argv of [['--help'], ['-h'], ['help']]) {
      const result = await run(argv);
      expect(result.code).toBe(0);
      for (const name of NAMES) expect(result.out).toMatch(new RegExp(`^  ${name} `, 'm'));
    }
    const about = await run(['help', 'submit']);
    expect(about.code).toBe(0);
    expect(about.out).toContain('usage: batchlane submit [options] FILE.jsonl');
  });

  it('prints the package version for --version and -V', async () => {
    for (const flag of ['--version', '-V']) {
      const result = await run([flag]);
      expect(result).toMatchObject({ code: 0, out: `batchlane ${pkg.version}` });
    }
  });

  it('exits 2 with the usage for no command, an unknown command and a wrong argument count', async () => {
    const none = await run([]);
    expect(none.code).toBe(2);
    expect(none.err).toContain('usage: batchlane <command>');

    const unknown = await run(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain("batchlane: unknown command 'frobnicate'");

    const missing = await run(['submit']);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('batchlane submit: missing argument FILE.jsonl');

    const extra = await run(['submit', 'a.jsonl', 'b.jsonl']);
    expect(extra.code).toBe(2);
    expect(extra.err).toContain("batchlane submit: unexpected argument 'b.jsonl'");

    const noValue = await run(['report', '--since']);
    expect(noValue.code).toBe(2);
    expect(noValue.err).toContain("Option '--since <value>' argument missing");
  });

  it('runs the same through bin/batchlane.js: exit codes as above and no stack trace', () => {
    const bin = fileURLToPath(new URL('../../../bin/batchlane.js', import.meta.url));
    const help = spawnSync(process.execPath, [bin, 'dev', '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('usage: batchlane dev [options]');
    expect(help.stdout).toContain('--quiet');

    const bad = spawnSync(process.execPath, [bin, 'replay', '--colour'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toContain("batchlane replay: Unknown option '--colour'");
    expect(bad.stderr).not.toMatch(/^\s+at /m);
    expect(bad.stderr).not.toContain('ERR_PARSE_ARGS');
  }, 60_000);
});
