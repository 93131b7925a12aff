import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { sessionFor } from '../support/staff-sessions.js';
import { ADMIN, expectRefused, openTestClinic, type TestClinic } from './clinic.js';

describe('staff users', () => {
  // Each test opens a clinic of its own, where Anita is the only staff user.
  let clinic: TestClinic;
  beforeEach(async () => {
    clinic = await openTestClinic();
  });
  afterEach(() => clinic?.close());

  const addFarhanAtTheDesk = () => clinic.addStaff('farhan.desk', 'Farhan Sheikh', 'receptionist', ['--phone', '098765 43210']);
  /** Ravi joins as a second admin and deactivates Anita. */
  const raviTakesOver = async () => {
    await clinic.addStaff('ravi.admin', 'Ravi Kumar', 'admin');
    await clinic.json(['staff', 'deactivate', ADMIN], 'ravi.admin');
  };

  it('adds a receptionist with a normalised phone and lists the staff', async () => {
    const added = await clinic.addStaff('Farhan.Desk', 'Farhan  Sheikh', 'receptionist', ['--phone', '098765 43210']);
    expect(added).toMatchObject({ username: 'farhan.desk', fullName: 'Farhan Sheikh', role: 'receptionist', phone: '+919876543210', active: true });
    expect(added).not.toHaveProperty('password_hash');

    const list = await clinic.json(['staff', 'list']);
    expect(list.map((u: { username: string }) => u.username)).toEqual([ADMIN, 'farhan.desk']);
    const human = await clinic.run(['staff', 'list']);
    expect(human.stdout).toContain('Farhan Sheikh');
  });

  it.each([
    [['--username', 'x', '--name', 'Xavier', '--role', 'admin', '--invite'], 2, 'username: must be 2–32 lowercase letters'],
    [['--username', 'ravi', '--name', 'Ravi', '--role', 'owner', '--invite'], 2, 'role: must be one of admin, receptionist, therapist'],
    [['--username', 'ravi', '--name', 'Ravi', '--role', 'admin', '--phone', '12345', '--invite'], 2, '--phone: "12345" must be a valid phone number'],
    [['--name', 'Ravi', '--role', 'admin', '--invite'], 2, '--username is required'],
    [['--username', 'farhan.desk', '--name', 'Another Farhan', '--role', 'admin', '--invite'], 4, 'The username farhan.desk is already taken'],
    [['--username', 'ravi', '--name', 'Ravi', '--role', 'admin'], 2, /How will they sign in\? Give --invite .* or --password-stdin .*nothing was added/],
    [['--username', 'ravi', '--name', 'Ravi', '--role', 'admin', '--invite', '--password-stdin'], 2, 'Give either --invite or --password-stdin, not both.'],
    [['--username', 'ravi', '--name', 'Ravi', '--role', 'admin', '--password-stdin'], 2, 'password: must be at least 10 characters'],
  ])('refuses staff add %j with a clear message and changes nothing', async (flags, code, message) => {
    await addFarhanAtTheDesk();
    const before = await clinic.counts();
    const passwords = () => sql<{ n: number }>`SELECT count(*)::int AS n FROM roshni_auth.passwords`.execute(clinic.database.db).then((r) => r.rows[0]!.n);
    const passwordsBefore = await passwords();
    expectRefused(await clinic.run(['staff', 'add', ...flags], ADMIN, 'too short\n'), code, message);
    expect(await clinic.counts()).toEqual(before);
    expect(await passwords()).toBe(passwordsBefore);
  });

  it('lets only an admin manage staff', async () => {
    await addFarhanAtTheDesk();
    const before = await clinic.counts();
    const result = await clinic.run(['staff', 'add', '--username', 'sneaky', '--name', 'Sneaky Sam', '--role', 'admin', '--invite'], 'farhan.desk');
    expectRefused(result, 5, 'A receptionist may not manage staff users (staff.manage: admin only).');
    expect(await clinic.counts()).toEqual(before);
  });

  it('never deactivates the last active admin, but does once there is another', async () => {
    expectRefused(await clinic.run(['staff', 'deactivate', ADMIN]), 4, `${ADMIN} is the last active admin`);
    await clinic.addStaff('ravi.admin', 'Ravi Kumar', 'admin');
    const done = await clinic.json(['staff', 'deactivate', ADMIN], 'ravi.admin');
    expect(done).toMatchObject({ username: ADMIN, active: false, deactivated: true });
    expectRefused(await clinic.run(['staff', 'deactivate', 'ravi.admin'], 'ravi.admin'), 4, 'ravi.admin is the last active admin');
  });

  it('keeps deactivated staff out of the list unless --all, and out of the CLI: their sessions end, and no new one opens anything', async () => {
    await raviTakesOver();
    expect((await clinic.json(['staff', 'list'], 'ravi.admin')).map((u: { username: string }) => u.username)).not.toContain(ADMIN);
    const all = await clinic.json(['staff', 'list', '--all'], 'ravi.admin');
    expect(all.find((u: { username: string }) => u.username === ADMIN)).toMatchObject({ active: false });
    const again = await clinic.json(['staff', 'deactivate', ADMIN], 'ravi.admin');
    expect(again.deactivated).toBe(false);
    // Anita was signed in (she added Ravi): deactivating her ended that session at once.
    expectRefused(await clinic.run(['staff', 'list'], ADMIN), 9, /Your session has ended/);
    const { rows } = await sql<{ ended_why: string | null }>`
      SELECT s.ended_why FROM roshni_auth.sessions s JOIN staff_users u ON u.id = s.staff_user_id WHERE u.username = ${ADMIN}`.execute(clinic.database.db);
    expect(rows).toEqual([{ ended_why: 'deactivated' }]);
    // Even a session made for her afterwards (as if she had signed in) opens nothing.
    const fresh = await sessionFor(clinic.database.db, ADMIN);
    expectRefused(await runCli(['staff', 'list'], { DATABASE_URL: clinic.database.url, ROSHNI_SESSION: fresh }), 9, /Your session has ended/);
  });

  it('says so when the username is unknown', async () => {
    expectRefused(await clinic.run(['staff', 'deactivate', 'nobody']), 3, 'No staff user with username nobody');
  });

  it('audits who changed what, with the state before and after', async () => {
    await addFarhanAtTheDesk();
    await raviTakesOver();
    const rows = await clinic.database.db.selectFrom('audit_log').selectAll().where('entity', '=', 'staff_user').orderBy('id').execute();
    expect(rows.map((r) => r.action)).toEqual(['staff.add', 'staff.add', 'staff.password', 'staff.add', 'staff.password', 'staff.deactivate']);
    const deactivation = rows.at(-1)!;
    expect(deactivation).toMatchObject({ actor_kind: 'staff', actor_role: 'admin', before: { active: true }, after: { active: false } });
    expect(JSON.stringify(rows.map((r) => [r.before, r.after, r.meta]))).not.toMatch(/Anita|Farhan|Ravi|\+91/);
  });
});
