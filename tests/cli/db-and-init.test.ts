import { afterEach, describe, expect, it } from 'vitest';
import { addStaffUser } from '../../src/domain/people/staff.js';
import { runCli } from '../support/cli.js';
import { systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { sessionFor } from '../support/staff-sessions.js';

/** A new clinic's first admin, given to `roshni init` (the password on stdin). */
const FIRST_ADMIN = ['--admin', 'anita.admin', '--admin-name', 'Anita Rao', '--password-stdin'];
const PASSWORD = { input: 'a long enough password\n' };

describe('roshni db and roshni init', () => {
  let database: TestDatabase | undefined;
  afterEach(async () => {
    await database?.close();
    database = undefined;
  });

  it('reports pending migrations, refuses to work on an old schema, then migrates once', async () => {
    database = await createTestDatabase({ empty: true });
    const env = { DATABASE_URL: database.url };

    const before = JSON.parse((await runCli(['db', 'status', '--json'], env)).stdout);
    expect(before.database).toBe('postgres');
    expect(before.pending).toBe(before.migrations.length);
    expect(before.location).not.toMatch(/:[^@/]+@/);

    const today = await runCli(['today'], env);
    expect(today.code).toBe(7);
    expect(today.stderr).toContain('Run `roshni db migrate` first');

    const first = JSON.parse((await runCli(['db', 'migrate', '--json'], env)).stdout);
    expect(first.applied).toEqual(before.migrations.map((m: { name: string }) => m.name));
    const second = JSON.parse((await runCli(['db', 'migrate', '--json'], env)).stdout);
    expect(second.applied).toEqual([]);
    expect(JSON.parse((await runCli(['db', 'status', '--json'], env)).stdout).pending).toBe(0);
  });

  it('sets up the clinic from flags, normalising the phone number', async () => {
    database = await createTestDatabase();
    const { code, stdout, stderr } = await runCli(
      [
        'init',
        '--name',
        'Sunrise Child Therapy',
        '--phone',
        '098765 43210',
        '--upi-vpa',
        'sunrise@okaxis',
        '--gstin',
        '29abcde1234f1z5',
        ...FIRST_ADMIN,
        '--json',
      ],
      { DATABASE_URL: database.url },
      PASSWORD,
    );
    expect(code, stderr).toBe(0);
    const { settings, firstAdmin } = JSON.parse(stdout);
    expect(settings).toMatchObject({
      name: 'Sunrise Child Therapy',
      phone: '+919876543210',
      upiVpa: 'sunrise@okaxis',
      gstin: '29ABCDE1234F1Z5',
      timezone: 'Asia/Kolkata',
    });
    expect(firstAdmin).toBe('anita.admin');
  });

  it('changes one setting of a set-up clinic without repeating its name', async () => {
    database = await createTestDatabase();
    const env = { DATABASE_URL: database.url };
    expect((await runCli(['init', '--name', 'Sunrise Child Therapy', ...FIRST_ADMIN], env, PASSWORD)).code).toBe(0);
    // From now on the clinic has an admin: init changes its settings only in her session.
    const admin = { ...env, ROSHNI_SESSION: await sessionFor(database.db, 'anita.admin') };
    const { code, stdout, stderr } = await runCli(['init', '--upi-vpa', 'sunrise@okaxis', '--json'], admin);
    expect(code, stderr).toBe(0);
    expect(JSON.parse(stdout).settings).toMatchObject({ name: 'Sunrise Child Therapy', upiVpa: 'sunrise@okaxis' });
    expect(JSON.parse(stdout).firstAdmin).toBeNull();
  });

  it("takes a landline as the clinic's own number (no message goes to it), with a warning", async () => {
    database = await createTestDatabase();
    const { code, stdout, stderr } = await runCli(
      ['init', '--name', 'Sunrise', '--phone', '080 2345 6789', '--json', ...FIRST_ADMIN],
      { DATABASE_URL: database.url },
      PASSWORD,
    );
    expect(code, stderr).toBe(0);
    expect(JSON.parse(stdout).settings.phone).toBe('+918023456789');
    expect(stderr).toBe("roshni: warning: the clinic's phone +91 80 2345 6789 is a landline: fine on receipts, but it cannot receive messages.\n");
  });

  it.each([
    [['--name', 'Sunrise', '--upi-vpa', 'not a vpa'], 'upiVpa: must be a UPI id'],
    [['--name', 'Sunrise', '--phone', '12345'], '--phone: "12345" must be a valid phone number'],
    [['--name', 'Sunrise', '--timezone', 'Mars/Base'], 'timezone: must be an IANA time zone'],
    [['--name', 'S'], 'name: must be at least 2 characters'],
    [[], '--name is required'],
  ])('init %j is refused with a clear message and changes nothing', async (flags, message) => {
    database = await createTestDatabase();
    const { code, stderr } = await runCli(['init', ...flags, ...FIRST_ADMIN], { DATABASE_URL: database.url }, PASSWORD);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
    expect(await database.db.selectFrom('clinic_settings').selectAll().execute()).toEqual([]);
  });

  it('a refused init leaves no first admin behind, and the corrected command then just works', async () => {
    database = await createTestDatabase();
    const env = { DATABASE_URL: database.url };
    expect((await runCli(['init', '--name', 'Sunrise', '--upi-vpa', 'not a vpa', ...FIRST_ADMIN], env, PASSWORD)).code).toBe(2);
    expect(await database.db.selectFrom('staff_users').selectAll().execute()).toEqual([]);
    const corrected = await runCli(['init', '--name', 'Sunrise', '--upi-vpa', 'sunrise@okaxis', ...FIRST_ADMIN], env, PASSWORD);
    expect(corrected.code, corrected.stderr).toBe(0);
  });

  it('reports a value a handler refuses, instead of exiting silently', async () => {
    database = await createTestDatabase();
    await addStaffUser(systemContext(database.db), { username: 'anita.admin', fullName: 'Anita Rao', role: 'admin' });
    const admin = { DATABASE_URL: database.url, ROSHNI_SESSION: await sessionFor(database.db, 'anita.admin') };
    const { code, stderr } = await runCli(['notifications', 'retry', 'abc'], admin);
    expect(code).toBe(2);
    expect(stderr).toContain('must be a positive whole number');
  });

  it('says what to do when the database server cannot be reached', async () => {
    const { code, stderr } = await runCli(['today'], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
    expect(code).toBe(7);
    expect(stderr).toContain('Cannot reach the database');
  });
});
