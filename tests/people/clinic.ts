import { sql } from 'kysely';
import { expect } from 'vitest';
import { runCli, type CliResult } from '../support/cli.js';
import { addStaffUser } from '../../src/domain/people/staff.js';
import { systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { staffEnvironments } from '../support/staff-sessions.js';

export const ADMIN = 'anita.admin';
/** The password the tests' staff are added with. */
export const STAFF_PASSWORD = 'a staff password';

export interface TestClinic {
  database: TestDatabase;
  /** `roshni <argv>` acting as a staff user (the clinic's admin unless told), with `input` on standard input. */
  run(argv: string[], as?: string, input?: string): Promise<CliResult>;
  /** `roshni <argv> --json` that must succeed: its parsed stdout. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a command's JSON, shaped as each test asserts it
  json<T = any>(argv: string[], as?: string, input?: string): Promise<T>;
  /** `roshni staff add` by the admin, with STAFF_PASSWORD as the new member's password: its JSON. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as json()
  addStaff<T = any>(username: string, fullName: string, role: string, more?: string[]): Promise<T>;
  /** How many rows each people table holds, to prove a refusal changed nothing. */
  counts(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

/** A migrated clinic database of this test file's own, with one admin added the way `roshni init` leaves it. */
export async function openTestClinic(): Promise<TestClinic> {
  const database = await createTestDatabase();
  await addStaffUser(systemContext(database.db), { username: ADMIN, fullName: 'Anita Rao', role: 'admin' });
  // Each member of staff is signed in once (a session made by the database's owner).
  const signedIn = staffEnvironments(database.db, { DATABASE_URL: database.url });
  const run = async (argv: string[], as: string = ADMIN, input?: string) => runCli(argv, await signedIn(as), input === undefined ? {} : { input });
  const json = async (argv: string[], as?: string, input?: string) => {
    const result = await run([...argv, '--json'], as, input);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    return JSON.parse(result.stdout);
  };
  return {
    database,
    run,
    json,
    addStaff: (username, fullName, role, more = []) =>
      json(['staff', 'add', '--username', username, '--name', fullName, '--role', role, ...more, '--password-stdin'], ADMIN, `${STAFF_PASSWORD}\n`),
    counts: async () => {
      const { rows } = await sql<Record<string, number>>`
        SELECT (SELECT count(*) FROM patients)::int AS patients,
               (SELECT count(*) FROM guardians)::int AS guardians,
               (SELECT count(*) FROM patient_guardians)::int AS links,
               (SELECT count(*) FROM therapists)::int AS therapists,
               (SELECT count(*) FROM staff_users)::int AS staff,
               (SELECT count(*) FROM services)::int AS services,
               (SELECT count(*) FROM audit_log WHERE outcome = 'ok')::int AS audit`.execute(database.db);
      return rows[0]!;
    },
    close: () => database.close(),
  };
}

/** A refusal: one line on stderr saying `message`, the exit code of its kind, and no data on stdout. */
export function expectRefused(result: CliResult, code: number, message: string | RegExp): void {
  expect(result.stdout).toBe('');
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  expect(result.stderr).toMatch(message);
  expect(result.code).toBe(code);
}
