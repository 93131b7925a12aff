import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { sessionFor } from '../support/staff-sessions.js';
import { ENTER, onTerminal } from '../support/terminal.js';
import { ADMIN, expectRefused, openTestClinic, STAFF_PASSWORD, type TestClinic } from './clinic.js';

/** Whether a member of staff's stored password must still be changed. */
const storedPassword = (clinic: TestClinic, username: string) =>
  sql<{ must_change: boolean }>`SELECT p.must_change FROM roshni_auth.passwords p JOIN staff_users u ON u.id = p.staff_user_id
                                WHERE u.username = ${username}`
    .execute(clinic.database.db)
    .then((r) => r.rows);

// `roshni staff add` gives the new member of staff a way to sign in, in the same transaction: the
// password the admin is given for them, or an invitation (a temporary password shown once, which opens
// nothing until they have chosen their own).
describe('a new member of staff can sign in', () => {
  let clinic: TestClinic;
  beforeEach(async () => {
    clinic = await openTestClinic();
  });
  afterEach(() => clinic?.close());

  const env = (token?: string) => ({ DATABASE_URL: clinic.database.url, ...(token ? { ROSHNI_SESSION: token } : {}) });
  /** `roshni login --print-token`: the token, or the failed run. */
  const login = async (username: string, password: string) => {
    const run = await runCli(['login', username, '--password-stdin', '--print-token'], env(), { input: `${password}\n` });
    return { run, token: run.stdout.trim() };
  };
  const stored = (username: string) => storedPassword(clinic, username);

  it('with --password-stdin: they sign in with it at once and work', async () => {
    const added = await clinic.addStaff('farhan.desk', 'Farhan Sheikh', 'receptionist');
    expect(added).toMatchObject({ username: 'farhan.desk', role: 'receptionist' });
    expect(added).not.toHaveProperty('temporaryPassword');
    expect(await stored('farhan.desk')).toEqual([{ must_change: false }]);

    const { run, token } = await login('farhan.desk', STAFF_PASSWORD);
    expect(run.code, run.stderr).toBe(0);
    expect((await runCli(['staff', 'list'], env(token))).code).toBe(0);
    const audit = await clinic.database.db.selectFrom('audit_log').select(['action', 'actor_id', 'meta']).where('action', '=', 'staff.password').execute();
    expect(audit).toEqual([expect.objectContaining({ meta: { reset: false, first_admin: false } })]);
    expect(JSON.stringify(audit)).not.toContain(STAFF_PASSWORD);
  });

  it('with --invite: a temporary password shown once, which opens nothing until they choose their own', async () => {
    const human = await clinic.run(['staff', 'add', '--username', 'priya.slp', '--name', 'Priya Sharma', '--role', 'therapist', '--invite']);
    expect(human.code, human.stderr).toBe(0);
    const temporary = /Temporary password \(shown only now\): ([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})/.exec(human.stdout)?.[1];
    expect(temporary).toBeDefined();
    expect(human.stdout).toContain('must choose their own before anything else');
    expect(await stored('priya.slp')).toEqual([{ must_change: true }]);

    const { run, token } = await login('priya.slp', temporary!);
    expect(run.code, run.stderr).toBe(0);
    expectRefused(await runCli(['today'], env(token)), 9, /Your password was given to you by an admin: choose your own first with `roshni staff password`/);
    expectRefused(await runCli(['staff', 'password', ADMIN, '--password-stdin'], env(token), { input: 'not hers to set\n' }), 9, /choose your own first/);

    const changed = await runCli(['staff', 'password', '--password-stdin'], env(token), {
      input: `${temporary}\npriya's own password\npriya's own password\n`,
    });
    expect(changed.code, changed.stderr).toBe(0);
    expect(await stored('priya.slp')).toEqual([{ must_change: false }]);
    expect((await runCli(['staff', 'sessions'], env(token))).code).toBe(0); // the same session goes on
    expect((await login('priya.slp', temporary!)).run.code).toBe(5); // the temporary one is spent
    expect((await login('priya.slp', "priya's own password")).run.code).toBe(0);
  });

  it('--json gives the temporary password once; every invitation gets a different one', async () => {
    const first = await clinic.json(['staff', 'add', '--username', 'farhan.desk', '--name', 'Farhan Sheikh', '--role', 'receptionist', '--invite']);
    const second = await clinic.json(['staff', 'add', '--username', 'ravi.admin', '--name', 'Ravi Kumar', '--role', 'admin', '--invite']);
    expect(first).toMatchObject({
      username: 'farhan.desk',
      mustChangePassword: true,
      temporaryPassword: expect.stringMatching(/^([a-z2-9]{4}-){3}[a-z2-9]{4}$/),
    });
    expect(second.temporaryPassword).not.toBe(first.temporaryPassword);
    const { rows } = await sql<{ text: string }>`SELECT concat_ws(' ', before, after, meta) AS text FROM audit_log`.execute(clinic.database.db);
    expect(rows.map((r) => r.text).join(' ')).not.toContain(first.temporaryPassword);
  });

  it('the member of staff and the password are one transaction: no password, no new member of staff', async () => {
    await sql`CREATE FUNCTION roshni_auth.refuse_for_test() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'disk full'; END $$`.execute(
      clinic.database.db,
    );
    await sql`CREATE TRIGGER refuse_for_test BEFORE INSERT ON roshni_auth.passwords FOR EACH ROW EXECUTE FUNCTION roshni_auth.refuse_for_test()`.execute(
      clinic.database.db,
    );
    const before = await clinic.counts();
    const run = await clinic.run(['staff', 'add', '--username', 'farhan.desk', '--name', 'Farhan Sheikh', '--role', 'receptionist', '--invite']);
    expect(run.code).not.toBe(0);
    expect(await clinic.counts()).toEqual(before);
    expect(await clinic.database.db.selectFrom('staff_users').select('username').where('username', '=', 'farhan.desk').execute()).toEqual([]);
  });

  it('only an admin adds staff, before any password is read', async () => {
    await clinic.addStaff('farhan.desk', 'Farhan Sheikh', 'receptionist');
    const before = await clinic.counts();
    expectRefused(
      await clinic.run(
        ['staff', 'add', '--username', 'sneaky', '--name', 'Sneaky Sam', '--role', 'admin', '--password-stdin'],
        'farhan.desk',
        `${STAFF_PASSWORD}\n`,
      ),
      5,
      'may not manage staff users',
    );
    expect(await clinic.counts()).toEqual(before);
  });
});

describe('on a terminal, passwords are asked for, hidden', () => {
  let clinic: TestClinic;
  beforeEach(async () => {
    clinic = await openTestClinic();
  });
  afterEach(() => clinic?.close());

  it('staff add asks for the password twice; the invited sign in and choose their own at once', async () => {
    const admin = { DATABASE_URL: clinic.database.url, ROSHNI_SESSION: await sessionFor(clinic.database.db, ADMIN) };
    const added = await onTerminal(['staff', 'add', '--username', 'farhan.desk', '--name', 'Farhan Sheikh', '--role', 'receptionist'], admin, [
      ['A password for farhan.desk', `farhan's password${ENTER}`],
      ['The same password again', `farhan's password${ENTER}`],
    ]);
    expect(added.unanswered).toEqual([]);
    expect(added.errors).toBe('');
    expect(added.code).toBe(0);
    expect(added.shown).not.toContain("farhan's password"); // hidden

    const invited = await clinic.json(['staff', 'add', '--username', 'priya.slp', '--name', 'Priya Sharma', '--role', 'therapist', '--invite']);
    const home = mkdtempSync(join(tmpdir(), 'roshni-invited-'));
    try {
      const signIn = await onTerminal(['login', 'priya.slp'], { DATABASE_URL: clinic.database.url, ROSHNI_HOME: home }, [
        ['Password', `${invited.temporaryPassword}${ENTER}`],
        ['Your new password', `priya's own password${ENTER}`],
        ['The same password again', `priya's own password${ENTER}`],
      ]);
      expect(signIn.unanswered).toEqual([]);
      expect(signIn.errors).toBe('');
      expect(signIn.code).toBe(0);
      expect(signIn.shown).toContain('choose your own now');
      expect(await storedPassword(clinic, 'priya.slp')).toEqual([{ must_change: false }]);
      expect((await runCli(['staff', 'sessions'], { DATABASE_URL: clinic.database.url, ROSHNI_HOME: home })).code).toBe(0);
      const farhan = await runCli(
        ['login', 'farhan.desk', '--password-stdin', '--print-token'],
        { DATABASE_URL: clinic.database.url },
        { input: "farhan's password\n" },
      );
      expect(farhan.code, farhan.stderr).toBe(0);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
