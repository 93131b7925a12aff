import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, type Option } from 'commander';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandGroups, type RunCommand } from '../../src/cli/command-groups.js';
import { addStaffUser } from '../../src/domain/people/staff.js';
import { runCli } from '../support/cli.js';
import { seedClinic, systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { sessionFor } from '../support/staff-sessions.js';

// Every date, time, phone, amount and id a command takes is checked where it enters: a bad value is
// one line naming the option, exit 2, and nothing changes. The options are found in the program
// itself, so a new one is checked as soon as it is added.

type Kind = 'date' | 'time' | 'phone' | 'amount' | 'id';

/** What an option's value is, from its placeholder (`--from <date>`) or, for settings, its description. */
const PLACEHOLDER_KINDS: Record<string, Kind> = {
  '<date>': 'date',
  '<YYYY-MM>': 'date',
  '<year>': 'date',
  '<when>': 'time',
  '<phone>': 'phone',
  '<rupees>': 'amount',
  '<n>': 'amount',
  '<minutes>': 'amount',
  '<people>': 'amount',
  '<port>': 'amount',
  '<id>': 'id',
};

/** Placeholders that are not dates, times, phones, amounts or ids: names, codes, references looked up, free text. */
const OTHER_PLACEHOLDERS = new Set([
  '<name>',
  '<email>',
  '<address>',
  '<vpa>',
  '<gstin>',
  '<prefix>',
  '<zone>',
  '<username>',
  '<therapist>',
  '<patient>',
  '<code>',
  '<days>',
  '<reason>',
  '<status>',
  '<text>',
  '<file>',
  '<UTR>',
  '<utr>',
  '<format>',
  '<plan>',
  '<method>',
  '<state>',
  '<host>',
  '<gender>',
  '<language>',
  '<guardian>',
  '<relationship>',
  '<file.zip>',
  '<codes>',
  '<role>',
  '<block>',
  '<channel>',
  '<type>',
  '<ref>',
  '<grouping>',
  '<kind>',
  '<1-5>',
  '<json|file>',
  '<appointment>',
  '<value>',
  '<unit>',
  '<file.html>',
  '<path>',
  '<level>',
  '<purpose>',
  '<version>',
]);

const BAD_VALUES = ['31/02', '2026-12-40', '2027-02-31 10:00', 'tomorrow', '10am-ish', '-5', '1e30', '99999999999999', '', '\u001b[31m', 'a\u0000b'];

interface Case {
  path: string[];
  flag: string;
  kind: Kind;
}

function kindOf(option: Option): Kind | 'other' | undefined {
  const placeholder = /<[^>]+>/.exec(option.flags)?.[0];
  if (!placeholder) return undefined;
  if (PLACEHOLDER_KINDS[placeholder]) return PLACEHOLDER_KINDS[placeholder];
  // `settings set --noshow-fee <value>`: amounts (₹), hours, minutes, days and years are numbers.
  if (placeholder === '<value>' && /\(₹\)|\((hours|minutes|days|years)\b/.test(option.description)) return 'amount';
  return OTHER_PLACEHOLDERS.has(placeholder) ? 'other' : undefined;
}

/** The program with every command group registered, as `main` builds it for one group. */
async function wholeProgram(): Promise<Command> {
  const program = new Command('roshni');
  const run: RunCommand = () => async () => {};
  for (const group of commandGroups) (await group.load()).register(program, run);
  return program;
}

function casesOf(command: Command, path: string[], cases: Case[], unclassified: string[]): void {
  for (const option of command.options) {
    if (!option.required && !option.optional) continue;
    const kind = kindOf(option);
    if (kind === undefined) unclassified.push(`${[...path, option.flags].join(' ')}: ${option.description}`);
    else if (kind !== 'other') cases.push({ path, flag: option.long!, kind });
  }
  for (const sub of command.commands) casesOf(sub, [...path, sub.name()], cases, unclassified);
}

describe('bad values on the command line', () => {
  let database: TestDatabase;
  let env: Record<string, string>;
  let home: string;
  let cases: Case[];
  let unclassified: string[];

  /** Rows in every table of the clinic's schema, to tell that nothing changed. */
  const rowCounts = async () =>
    (
      await sql<{ name: string; rows: number }>`
        SELECT table_name AS name,
               (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM public.%I', table_name), false, true, '')))[1]::text::int AS rows
        FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`.execute(database.db)
    ).rows;

  beforeAll(async () => {
    database = await createTestDatabase();
    const ctx = systemContext(database.db);
    await seedClinic(ctx, { patients: 2, days: 2 });
    await addStaffUser(ctx, { username: 'anita', fullName: 'Anita Rao', role: 'admin' });
    home = mkdtempSync(join(tmpdir(), 'roshni-bad-input-'));
    env = { DATABASE_URL: database.url, ROSHNI_SESSION: await sessionFor(database.db, 'anita'), ROSHNI_HOME: home };
    cases = [];
    unclassified = [];
    casesOf(await wholeProgram(), [], cases, unclassified);
  });
  afterAll(async () => {
    await database?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('knows what every option of every command takes', () => {
    // A new option with a placeholder this test does not know: add it to PLACEHOLDER_KINDS when it is a
    // date, time, phone, amount or id (and give it a value parser from src/cli/options.ts), else to OTHER_PLACEHOLDERS.
    expect(unclassified).toEqual([]);
    const kinds = new Set(cases.map((c) => c.kind));
    expect([...kinds].sort()).toEqual(['amount', 'date', 'id', 'phone', 'time']);
    expect(cases.length).toBeGreaterThan(60);
  });

  it('refuses each bad value with exit 2 and one line naming the option, and changes nothing', async () => {
    const before = await rowCounts();
    const failures: string[] = [];
    for (const { path, flag } of cases) {
      for (const value of BAD_VALUES) {
        const argv = [...path, flag, value];
        const { code, stderr } = await runCli(argv, env);
        const lines = stderr.trimEnd().split('\n');
        const shown = `roshni ${argv.map((a) => JSON.stringify(a)).join(' ')}`;
        if (code !== 2) failures.push(`${shown}: exit ${code}: ${stderr.trim()}`);
        else if (lines.length !== 1) failures.push(`${shown}: ${lines.length} lines: ${stderr.trim()}`);
        else if (!lines[0]!.startsWith(`roshni: ${flag}: `)) failures.push(`${shown}: does not name ${flag}: ${lines[0]}`);
        else if (/unexpected/i.test(stderr) || /[\u0000-\u0008\u000b-\u001f\u007f]/.test(stderr.trimEnd())) failures.push(`${shown}: ${stderr.trim()}`);
      }
    }
    expect(failures).toEqual([]);
    expect(await rowCounts()).toEqual(before);
  });

  it('answers the cases of the issue in words', async () => {
    const availability = await runCli(['availability', '--service', 'speech-therapy', '--from', '31/02'], env);
    expect(availability).toMatchObject({ code: 2, stderr: 'roshni: --from: "31/02" must be a date as YYYY-MM-DD.\n' });
    const unreal = await runCli(['availability', '--service', 'speech-therapy', '--from', '2026-12-40'], env);
    expect(unreal).toMatchObject({ code: 2, stderr: 'roshni: --from: "2026-12-40" is not a real date.\n' });
    const at = await runCli(['book', '--patient', 'Patient 001', '--service', 'speech-therapy', '--at', '2027-02-31 10:00'], env);
    expect(at).toMatchObject({ code: 2, stderr: 'roshni: --at: "2027-02-31 10:00" is not a real date and time.\n' });
    const schedule = await runCli(['schedule', '--date', '31/02'], env);
    expect(schedule).toMatchObject({ code: 2, stderr: 'roshni: --date: "31/02" must be a date as YYYY-MM-DD.\n' });
    const escape = await runCli(['patient', 'add', '--name', 'Ira\u001b[2J Sen', '--phone', '98765 43210'], env);
    expect(escape).toMatchObject({ code: 2, stderr: 'roshni: --name: must not contain control characters.\n' });
  });
});
