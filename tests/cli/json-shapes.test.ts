import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandGroups } from '../../src/cli/command-groups.js';
import { fixedClock } from '../../src/infra/clock.js';
import { pdf } from '../documents/sample-files.js';
import { runCli, type CliResult } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { differences, documentedShapes, keysNotCamelCase } from '../support/json-shapes.js';
import { sessionFor } from '../support/staff-sessions.js';
import { DOCUMENTED_NOT_RUN, JSON_CASES, PRINT_NO_JSON, type JsonCase, type Printed } from './json-commands.js';

// README.md's "### JSON output" says what every command prints with --json; this runs each against the
// demo clinic on its own day (Tuesday 15 December 2026, 11:00 in Bengaluru) and holds the two together.
const clock = fixedClock('2026-12-15T05:30:00Z');
const documented = documentedShapes(readFileSync(new URL('../../README.md', import.meta.url), 'utf8'));

/** Every command of `roshni` that runs something, by its path ("patient show"), read from the program itself. */
async function programCommands(): Promise<string[]> {
  const program = new Command('roshni');
  for (const group of commandGroups) (await group.load()).register(program, () => async () => {});
  // Commander has no public word for "this command runs something"; a group such as `patient` has no action.
  const walk = (command: Command, path: string[]): string[] => [
    ...((command as unknown as { _actionHandler: unknown })._actionHandler && path.length ? [path.join(' ')] : []),
    ...command.commands.flatMap((sub) => walk(sub, [...path, sub.name()])),
  ];
  return walk(program, []);
}

describe('--json shapes are the README’s', () => {
  let database: TestDatabase;
  let home: string;
  const printed: Printed = {};
  const results = new Map<string, CliResult | Error>();

  beforeAll(async () => {
    database = await createTestDatabase();
    home = mkdtempSync(join(tmpdir(), 'roshni-json-shapes-'));
    const files = join(home, 'files');
    mkdirSync(files);
    writeFileSync(join(files, 'report.pdf'), pdf());
    const owner = { DATABASE_URL: database.url, ROSHNI_HOME: home };
    const run = async (command: string, argv: string[], env: Record<string, string>, input?: string, codes = [0]) => {
      const result = await runCli([...argv, '--json'], env, { clock, ...(input === undefined ? {} : { input }) });
      results.set(command, result);
      if (codes.includes(result.code)) printed[command] = JSON.parse(result.stdout);
    };
    await run('demo', ['demo'], owner); // the clinic every case reads, and itself a case
    const envs: Record<NonNullable<JsonCase['as']>, Record<string, string>> = {
      owner,
      admin: { ...owner, ROSHNI_SESSION: await sessionFor(database.db, 'demo.admin') },
      desk: { ...owner, ROSHNI_SESSION: await sessionFor(database.db, 'demo.desk') },
      priya: { ...owner, ROSHNI_SESSION: await sessionFor(database.db, 'priya.slp') },
    };
    for (const c of JSON_CASES) {
      try {
        await run(c.label ?? c.command, c.argv(printed, files), envs[c.as ?? 'admin'], c.input, c.codes);
      } catch (error) {
        results.set(c.label ?? c.command, error as Error);
      }
    }
  }, 300_000);
  afterAll(async () => {
    await database?.close();
    rmSync(home, { recursive: true, force: true });
  });

  const cases: JsonCase[] = [{ command: 'demo', argv: () => ['demo'], as: 'owner' }, ...JSON_CASES];
  const ran = cases.map((c) => c.command);
  const byLabel = new Map(cases.map((c) => [c.label ?? c.command, c]));

  it.each([...byLabel.keys()])('roshni %s --json prints what README.md documents', (label) => {
    const { command, codes = [0] } = byLabel.get(label)!;
    const result = results.get(label);
    if (result instanceof Error) throw result;
    expect(codes, `${label}: ${result?.stderr}`).toContain(result?.code);
    const shape = documented.commands.get(command);
    expect(shape, `README.md documents no JSON for roshni ${command}`).toBeDefined();
    expect(differences(printed[label], shape!, documented.types), `roshni ${label} --json`).toEqual([]);
  });

  it('prints camelCase keys only, at every depth (the keys of a { [name]: T } record are data)', () => {
    const offending = Object.fromEntries(
      [...byLabel]
        .filter(([label, c]) => documented.commands.has(c.command) && label in printed)
        .map(([label, c]) => [label, keysNotCamelCase(printed[label], documented.commands.get(c.command)!, documented.types)]),
    );
    expect(Object.entries(offending).filter(([, keys]) => keys.length)).toEqual([]);
  });

  it('documents every command that prints JSON, and runs every documented command here or says why not', async () => {
    const commands = await programCommands();
    const undocumented = commands.filter((c) => !documented.commands.has(c) && !PRINT_NO_JSON.includes(c));
    expect(undocumented, 'commands with --json and no entry under "### JSON output" in README.md').toEqual([]);
    const unknown = [...documented.commands.keys()].filter((c) => !commands.includes(c));
    expect(unknown, 'README.md documents JSON for commands roshni does not have').toEqual([]);
    const notRun = [...documented.commands.keys()].filter((c) => !ran.includes(c) && !(c in DOCUMENTED_NOT_RUN));
    expect(notRun, 'documented, but neither run by this test nor in DOCUMENTED_NOT_RUN').toEqual([]);
  });
});
