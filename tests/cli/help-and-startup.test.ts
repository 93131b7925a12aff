import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { fileURLToPath } from 'node:url';
import { ExitCode } from '../../src/cli/exit-codes.js';
import { describe, expect, it } from 'vitest';
import { runCli, spawnCli } from '../support/cli.js';

const recorder = fileURLToPath(new URL('../support/record-imports.mjs', import.meta.url));
const packageVersion = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const noCommandDir = fileURLToPath(new URL('../../dist/cli/no-command/', import.meta.url));
const commandsBundle = fileURLToPath(new URL('../../dist/cli/roshni.cjs', import.meta.url));

/**
 * The sources `roshni` loads when it runs no command: for each file of its bundle (dist/cli/no-command/,
 * scripts/bundle-cli.mjs) the sources esbuild put in it (`src/domain/errors.ts`, `node_modules/kysely/…`),
 * and any other module (a package left out of the bundle, node's own) by its URL.
 */
async function modulesLoadedBy(argv: string[]): Promise<string[]> {
  const file = join(mkdtempSync(join(tmpdir(), 'roshni-imports-')), 'loaded.txt');
  const result = await spawnCli(argv, { ROSHNI_RECORD_IMPORTS: file, ROSHNI_HOME: '/nonexistent' }, ['--import', recorder]);
  expect(result.code).toBe(0);
  const meta = JSON.parse(readFileSync(join(noCommandDir, 'meta.json'), 'utf8')) as { outputs: Record<string, { inputs: Record<string, unknown> }> };
  const urls = [...new Set(readFileSync(file, 'utf8').trim().split('\n'))];
  return urls.flatMap((url) => {
    const path = url.startsWith('file:') ? fileURLToPath(url) : url;
    if (!path.startsWith(noCommandDir)) return [url];
    const chunk = meta.outputs[`dist/cli/no-command/${path.slice(noCommandDir.length)}`];
    expect(chunk, `${path} is in dist/cli/no-command/meta.json`).toBeDefined();
    return ['bundle:' + path.slice(noCommandDir.length), ...Object.keys(chunk!.inputs)];
  });
}

/**
 * The sources a command runs, from V8's coverage of its process: each function of the commands' bundle
 * (dist/cli/roshni.cjs) that ran, by the source its beginning and end map back to (a function esbuild
 * wrote around a module has no source of its own, and is left out); any script outside the bundle (a
 * package left to node_modules) by its URL.
 */
async function modulesRunBy(argv: string[]): Promise<string[]> {
  const coverage = mkdtempSync(join(tmpdir(), 'roshni-coverage-'));
  const result = await spawnCli(argv, { NODE_V8_COVERAGE: coverage, ROSHNI_HOME: '/nonexistent' });
  expect(result.code).toBe(0);
  type Covered = { url: string; functions: { ranges: { startOffset: number; endOffset: number; count: number }[] }[] };
  const scripts = readdirSync(coverage).flatMap((name) => (JSON.parse(readFileSync(join(coverage, name), 'utf8')) as { result: Covered[] }).result);
  const bundle = scripts.find((script) => script.url === commandsBundle || script.url === `file://${commandsBundle}`);
  expect(bundle, 'the commands bundle ran').toBeDefined();
  const source = readFileSync(commandsBundle, 'latin1');
  const map = new SourceMap(JSON.parse(readFileSync(`${commandsBundle}.map`, 'utf8')) as SourceMapPayload);
  const lineStarts = [0, ...[...source.matchAll(/\n/g)].map((m) => m.index + 1)];
  // bin/roshni.js compiles `(function (exports, require, module, __filename, __dirname) {` + the bundle + `\n})`.
  const wrapper = bundle!.functions[0]!.ranges[0]!.endOffset - source.length - '\n})'.length;
  const sourceAt = (scriptOffset: number) => {
    const offset = scriptOffset - wrapper;
    let line = lineStarts.length - 1;
    while (lineStarts[line]! > offset) line--;
    return (map.findEntry(line, offset - lineStarts[line]!) as { originalSource?: string }).originalSource;
  };
  const run = new Set<string>();
  for (const { ranges } of bundle!.functions.slice(1)) {
    const { startOffset, endOffset, count } = ranges[0]!;
    if (count === 0 || startOffset < wrapper) continue;
    const [first, last] = [sourceAt(startOffset), sourceAt(endOffset - 1)];
    // The map names sources from dist/cli/: `../../src/commands/config.ts`.
    if (first && first === last) run.add(first.replace(/^(\.\.\/)+/, ''));
  }
  return [...run, ...scripts.map((script) => script.url).filter((url) => url.includes('/node_modules/'))];
}

describe('roshni --help', () => {
  it('lists the command groups and the exit codes', async () => {
    const { code, stdout } = await runCli(['--help'], {});
    expect(code).toBe(0);
    for (const command of ['init', 'db', 'demo', 'today', 'config']) expect(stdout).toMatch(new RegExp(`^\\s+${command}\\s`, 'm'));
    expect(stdout).toContain('Exit codes: 0 ok');
    const listed = stdout.slice(stdout.indexOf('Exit codes:'));
    for (const code of Object.values(ExitCode)) expect(listed, `exit code ${code} is explained`).toMatch(new RegExp(`\\b${code} [a-z]`));
  });

  it('loads no command group, database driver, bot or payment SDK', async () => {
    const loaded = await modulesLoadedBy(['--help']);
    expect(loaded).toContain('bundle:main.js');
    expect(loaded).toContain('src/cli/main.ts');
    const heavy = ['grammy', 'whatsapp-web.js', 'razorpay', 'resend', 'puppeteer', '@electric-sql/pglite', '/pg/', 'kysely', 'zod', 'src/commands/'];
    for (const name of heavy)
      expect(
        loaded.filter((url) => url.includes(name)),
        name,
      ).toEqual([]);
    // The error reporter knows the domain's error classes, and nothing else of the domain.
    // (The option parsers' error namer imports it as well: the recorder lists each import.)
    expect(loaded.filter((source) => source.startsWith('src/domain/'))).toEqual(['src/domain/errors.ts']);
  });

  it('runs only the group that is run', async () => {
    const run = await modulesRunBy(['config', 'show']);
    expect(run).toContain('src/commands/config.ts');
    expect(run.filter((source) => source.startsWith('src/commands/'))).toEqual(['src/commands/config.ts']);
    expect(run.filter((url) => /grammy|whatsapp-web|razorpay|resend|puppeteer|pglite/.test(url))).toEqual([]);
  });
});

describe("every command's own --help", () => {
  /** The subcommands a help text lists (its "Commands:" section), without commander's own `help`. */
  const subcommandsOf = (help: string) =>
    [...(help.split(/^Commands:$/m)[1] ?? '').matchAll(/^ {2}([a-z][a-z0-9-]*)/gm)].map((m) => m[1]!).filter((name) => name !== 'help');

  it('mentions --json (and --debug), the options every command takes', async () => {
    const { commandGroups } = await import('../../src/cli/command-groups.js');
    const pending = commandGroups.flatMap((group) => Object.keys(group.commands).map((name) => [name]));
    const seen: string[] = [];
    while (pending.length) {
      const path = pending.shift()!;
      const { code, stdout } = await runCli([...path, '--help'], {});
      expect(code, path.join(' ')).toBe(0);
      expect(stdout, path.join(' ')).toMatch(/^Global Options:$/m);
      expect(stdout, path.join(' ')).toMatch(/^ {2}--json\s+print machine-readable JSON on stdout$/m);
      expect(stdout, path.join(' ')).toMatch(/^ {2}--debug\s/m);
      seen.push(path.join(' '));
      pending.push(...subcommandsOf(stdout).map((name) => [...path, name]));
    }
    expect(seen).toEqual(expect.arrayContaining(['jobs list', 'backup restore', 'health', 'patient add']));
    expect(seen.length).toBeGreaterThan(100);
  }, 120_000);
});

describe('roshni basics', () => {
  it('prints the package version', async () => {
    const { code, stdout } = await runCli(['--version'], {});
    expect(code).toBe(0);
    expect(stdout.trim()).toBe(packageVersion);
  });

  it('rejects an unknown command with exit code 2', async () => {
    const { code, stderr } = await runCli(['bogus'], {});
    expect(code).toBe(2);
    expect(stderr).toContain("unknown command 'bogus'");
  });

  it('rejects an unknown option with exit code 2', async () => {
    const { code, stderr } = await runCli(['today', '--colour'], {});
    expect(code).toBe(2);
    expect(stderr).toContain("unknown option '--colour'");
  });
});
