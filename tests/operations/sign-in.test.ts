import { randomBytes } from 'node:crypto';
import { chmodSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { withServerClient } from '../../src/infra/db/server-admin.js';
import { runCli, spawnCli } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

const PASSWORD = 'correct horse battery';

describe('staff sign in with a password of their own', () => {
  let database: TestDatabase;
  let home: string;
  const env = () => ({ DATABASE_URL: database.url, ROSHNI_HOME: home });
  const roshni = (argv: string[], input?: string) => runCli(argv, env(), input === undefined ? {} : { input });
  const login = (username: string, password: string) => roshni(['login', username, '--password-stdin'], `${password}\n`);
  const audited = (action: string) =>
    database.db.selectFrom('audit_log').select(['actor_kind', 'actor_id', 'outcome', 'meta']).where('action', '=', action).orderBy('id').execute();

  beforeEach(async () => {
    database = await createTestDatabase({ empty: true });
    home = mkdtempSync(join(tmpdir(), 'roshni-sign-in-'));
    const init = await roshni(
      ['init', '--name', 'Sunrise Child Therapy', '--admin', 'anita.admin', '--admin-name', 'Anita Rao', '--password-stdin'],
      `${PASSWORD}\n`,
    );
    expect(init.code, init.stderr).toBe(0);
  });
  afterEach(async () => {
    await database?.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('a new clinic gets its first admin from init; nobody acts before signing in, and a wrong password opens nothing', async () => {
    const before = await roshni(['staff', 'list']);
    expect(before.code).toBe(9);
    expect(before.stderr).toMatch(/Nobody is signed in on this machine: run `roshni login <username>` first/);

    const wrong = await login('anita.admin', 'not the password');
    expect(wrong.code).toBe(5);
    expect(wrong.stderr.trim()).toBe('roshni: Wrong username or password.');
    const unknown = await login('nobody.here', PASSWORD);
    expect(unknown.stderr.trim()).toBe('roshni: Wrong username or password.');

    const right = await login('anita.admin', PASSWORD);
    expect(right.code, right.stderr).toBe(0);
    expect(right.stdout).toContain('Signed in as anita.admin (admin)');
    const listed = await roshni(['staff', 'list', '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ username: 'anita.admin', role: 'admin' })]);

    const attempts = await audited('staff.sign_in');
    expect(attempts.map((a) => [a.outcome, (a.meta as { reason?: string } | null)?.reason ?? null])).toEqual([
      ['denied', 'wrong password'],
      ['denied', 'unknown username'],
      ['ok', null],
    ]);
    // A second init on a clinic with an admin needs that admin's session.
    expect((await roshni(['logout'])).code).toBe(0);
    const reinit = await roshni(['init', '--upi-vpa', 'someone-else@okaxis']);
    expect(reinit.code).toBe(9);
    expect(await database.db.selectFrom('clinic_settings').select('upi_vpa').executeTakeFirst()).toEqual({ upi_vpa: null });
  });

  it('slows down repeated failures: after three, even the right password waits, and the wait is audited', async () => {
    for (let i = 0; i < 3; i++) expect((await login('anita.admin', `guess number ${i}`)).code).toBe(5);
    const throttled = await login('anita.admin', PASSWORD);
    expect(throttled.code).toBe(5);
    // 30 seconds from the third failure, less the time this attempt took to start (seconds on a loaded machine).
    const wait = /Too many failed sign-ins for this username: try again in (\d+) seconds\./.exec(throttled.stderr);
    expect(Number(wait?.[1])).toBeGreaterThanOrEqual(15);
    expect(Number(wait?.[1])).toBeLessThanOrEqual(30);
    expect((await audited('staff.sign_in')).at(-1)).toMatchObject({ outcome: 'denied', meta: { reason: 'too many failures' } });
    // Half a minute later (the failures moved back, as the database's clock would see them), it lets them in.
    await sql`UPDATE roshni_auth.failures SET at = at - interval '31 seconds'`.execute(database.db);
    expect((await login('anita.admin', PASSWORD)).code).toBe(0);
    expect(await sql`SELECT count(*)::int AS n FROM roshni_auth.failures`.execute(database.db)).toMatchObject({ rows: [{ n: 0 }] });
  });

  it('a session ends after the idle time, when revoked by an admin, and at logout', async () => {
    expect((await roshni(['staff', 'add', '--username', 'farhan.desk', '--name', 'Farhan Sheikh', '--role', 'receptionist'], '')).code).toBe(9);
    expect((await login('anita.admin', PASSWORD)).code).toBe(0);
    expect(
      (
        await roshni(
          ['staff', 'add', '--username', 'farhan.desk', '--name', 'Farhan Sheikh', '--role', 'receptionist', '--password-stdin'],
          'farhan chose this\n',
        )
      ).code,
    ).toBe(0);
    const reset = await roshni(['staff', 'password', 'farhan.desk', '--password-stdin'], 'a temporary one\n');
    expect(reset.code, reset.stderr).toBe(0);

    // A password an admin set opens nothing but choosing one's own.
    const desk = { ...env(), ROSHNI_HOME: mkdtempSync(join(tmpdir(), 'roshni-desk-')) };
    const signedIn = await runCli(['login', 'farhan.desk', '--password-stdin'], desk, { input: 'a temporary one\n' });
    expect(signedIn.code, signedIn.stderr).toBe(0);
    expect(signedIn.stdout).toContain('choose your own with `roshni staff password` before anything else');
    const notYet = await runCli(['staff', 'list'], desk);
    expect(notYet.code).toBe(9);
    expect(notYet.stderr).toMatch(/choose your own first with `roshni staff password`/);
    const own = await runCli(['staff', 'password', '--password-stdin'], desk, { input: 'a temporary one\nfarhan chose this\nfarhan chose this\n' });
    expect(own.code, own.stderr).toBe(0);
    expect((await runCli(['staff', 'list'], desk)).code).toBe(0);

    // Idle: the clinic ends sessions unused for its idle time (12 hours unless set); using one keeps it alive.
    const farhansSession = sql`staff_user_id = (SELECT id FROM staff_users WHERE username = 'farhan.desk')`;
    await sql`UPDATE roshni_auth.sessions SET last_seen_at = now() - interval '11 hours 59 minutes' WHERE ${farhansSession}`.execute(database.db);
    expect((await runCli(['staff', 'list'], desk)).code).toBe(0);
    const { rows: seen } = await sql<{ idle: number }>`
      SELECT extract(epoch FROM now() - last_seen_at)::int AS idle FROM roshni_auth.sessions WHERE ${farhansSession} AND ended_at IS NULL`.execute(database.db);
    expect(seen[0]!.idle).toBeLessThan(60);
    await sql`UPDATE roshni_auth.sessions SET last_seen_at = now() - interval '12 hours 1 minute'
              WHERE staff_user_id = (SELECT id FROM staff_users WHERE username = 'farhan.desk')`.execute(database.db);
    const idle = await runCli(['staff', 'list'], desk);
    expect(idle.code).toBe(9);
    expect(idle.stderr).toMatch(/Your session has ended/);

    // Revoked: the admin ends every session of Farhan's.
    expect((await runCli(['login', 'farhan.desk', '--password-stdin'], desk, { input: 'farhan chose this\n' })).code).toBe(0);
    const sessions = JSON.parse((await roshni(['staff', 'sessions', '--json'])).stdout);
    expect(sessions.map((s: { username: string; current: boolean }) => [s.username, s.current])).toEqual(
      expect.arrayContaining([
        ['farhan.desk', false],
        ['anita.admin', true],
      ]),
    );
    expect((await runCli(['staff', 'revoke', '--user', 'farhan.desk'], desk)).code).toBe(5); // not an admin
    const revoked = await roshni(['staff', 'revoke', '--user', 'farhan.desk', '--json']);
    expect(JSON.parse(revoked.stdout)).toEqual({ ended: 1 });
    expect((await runCli(['staff', 'list'], desk)).code).toBe(9);

    // Logout: the session's token opens nothing any more, even kept elsewhere.
    const token = (await runCli(['login', 'farhan.desk', '--password-stdin', '--print-token'], desk, { input: 'farhan chose this\n' })).stdout.trim();
    expect(token).toMatch(/^rsh_[0-9a-f]{64}$/);
    expect((await runCli(['staff', 'list'], { ...desk, ROSHNI_SESSION: token })).code).toBe(0);
    await sql`SELECT roshni_auth.sign_out(${token})`.execute(database.db);
    expect((await runCli(['staff', 'list'], { ...desk, ROSHNI_SESSION: token })).code).toBe(9);
    rmSync(desk.ROSHNI_HOME, { recursive: true, force: true });
  });

  it('changing a password needs the current one and ends the other sessions', async () => {
    expect((await login('anita.admin', PASSWORD)).code).toBe(0);
    const elsewhere = (await runCli(['login', 'anita.admin', '--password-stdin', '--print-token'], env(), { input: `${PASSWORD}\n` })).stdout.trim();
    const wrongCurrent = await roshni(['staff', 'password', '--password-stdin'], 'not my password\na brand new password\na brand new password\n');
    expect(wrongCurrent.code).toBe(5);
    const changed = await roshni(['staff', 'password', '--password-stdin'], `${PASSWORD}\na brand new password\na brand new password\n`);
    expect(changed.code, changed.stderr).toBe(0);
    expect((await roshni(['staff', 'list'])).code).toBe(0); // this session goes on
    expect((await runCli(['staff', 'list'], { ...env(), ROSHNI_SESSION: elsewhere })).code).toBe(9);
    expect((await login('anita.admin', PASSWORD)).code).toBe(5);
    expect((await login('anita.admin', 'a brand new password')).code).toBe(0);
  });

  it('ROSHNI_USER names nobody any more: it is refused rather than silently ignored', async () => {
    const result = await runCli(['staff', 'list'], { ...env(), ROSHNI_USER: 'anita.admin' });
    expect(result.code).toBe(6);
    expect(result.stderr).toMatch(/ROSHNI_USER.*sign in with `roshni login`/);
  });

  it('a session file copied to another operating-system user opens nothing', async () => {
    expect((await login('anita.admin', PASSWORD)).code).toBe(0);
    const theirs = mkdtempSync(join(tmpdir(), 'roshni-copied-'));
    cpSync(join(home, 'session.json'), join(theirs, 'session.json'));
    chmodSync(theirs, 0o777);
    chmodSync(join(theirs, 'session.json'), 0o644);
    const asNobody = await spawnCli(['staff', 'list'], { DATABASE_URL: database.url, ROSHNI_HOME: theirs }, [], { uid: 65534, gid: 65534 });
    expect(asNobody.stderr).toMatch(/Your session has ended/);
    expect(asNobody.code).toBe(9);
    rmSync(theirs, { recursive: true, force: true });
  });
});

describe('the credentials of a desk computer cannot become anyone else', () => {
  let database: TestDatabase;
  let desk: pg.Client;
  let login: string;
  const tokens: Record<string, string> = {};

  beforeEach(async () => {
    database = await createTestDatabase();
    const home = mkdtempSync(join(tmpdir(), 'roshni-desk-'));
    const env = { DATABASE_URL: database.url, ROSHNI_HOME: home };
    expect(
      (await runCli(['init', '--name', 'Sunrise', '--admin', 'anita.admin', '--admin-name', 'Anita Rao', '--password-stdin'], env, { input: `${PASSWORD}\n` }))
        .code,
    ).toBe(0);
    const admin = {
      ...env,
      ROSHNI_SESSION: (await runCli(['login', 'anita.admin', '--password-stdin', '--print-token'], env, { input: `${PASSWORD}\n` })).stdout.trim(),
    };
    for (const [username, role] of [
      ['farhan.desk', 'receptionist'],
      ['priya.slp', 'therapist'],
    ]) {
      expect(
        (
          await runCli(['staff', 'add', '--username', username!, '--name', `Staff ${username}`, '--role', role!, '--password-stdin'], admin, {
            input: `${PASSWORD}\n`,
          })
        ).code,
      ).toBe(0);
      tokens[username!] = (await runCli(['login', username!, '--password-stdin', '--print-token'], env, { input: `${PASSWORD}\n` })).stdout.trim();
    }
    tokens['anita.admin'] = admin.ROSHNI_SESSION;
    await database.db.insertInto('patients').values({ full_name: 'Kavya Nair' }).execute();
    rmSync(home, { recursive: true, force: true });

    // The login a desk computer is given: a member of roshni_staff, nothing more.
    login = `desk_${randomBytes(4).toString('hex')}`;
    await sql.raw(`CREATE ROLE ${login} LOGIN IN ROLE roshni_staff`).execute(database.db);
    const url = new URL(database.url);
    url.username = login;
    desk = new pg.Client({ connectionString: url.toString() });
    await desk.connect();
  });
  afterEach(async () => {
    await desk?.end();
    await database?.close();
    if (login) await withServerClient(inject('databaseServerUrl'), (client) => client.query(`DROP ROLE IF EXISTS ${login}`));
  });

  const attempt = async (statements: string[]) => {
    await desk.query('BEGIN');
    try {
      // $ADMIN and $DESK stand for the admin's and the receptionist's own session tokens.
      for (const statement of statements) await desk.query(statement.replace('$ADMIN', tokens['anita.admin']!).replace('$DESK', tokens['farhan.desk']!));
      return (await desk.query('SELECT count(*)::int AS n FROM documents')).rows[0].n as number;
    } catch (error) {
      return (error as Error).message;
    } finally {
      await desk.query('ROLLBACK');
    }
  };

  it.each([
    ['RESET ROLE, to the table owner', ['RESET ROLE', 'SET ROLE postgres'], /permission denied to set role "postgres"/],
    ['SET ROLE to the bots and jobs', ['SET ROLE roshni_service'], /permission denied to set role "roshni_service"/],
    ['a setting naming the admin', [`SELECT set_config('roshni.actor_role', 'admin', true), set_config('roshni.staff_id', '1', true)`], 0],
    ['a setting naming the system', [`SELECT set_config('roshni.actor_role', 'system', true)`], 0],
    ['switching row security off', ['SET row_security = off'], /row-level security|permission denied/],
    ['disabling row security on the table', ['ALTER TABLE documents DISABLE ROW LEVEL SECURITY'], /must be owner/],
    ['disabling the audit trigger', ['ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only'], /must be owner/],
    ['rewriting the audit log', ["UPDATE audit_log SET action = 'nothing'"], /permission denied for table audit_log/],
    ['deleting from the audit log', ['DELETE FROM audit_log'], /permission denied for table audit_log/],
    ['reading the password verifiers', ['SELECT * FROM roshni_auth.passwords'], /permission denied for table passwords/],
    ['reading the sessions', ['SELECT * FROM roshni_auth.sessions'], /permission denied for table sessions/],
    [
      'making a session of its own',
      [`INSERT INTO roshni_auth.sessions (token_hash, staff_user_id, machine) VALUES ('\\x00', 1, 'x')`],
      /permission denied for table sessions/,
    ],
    ['writing the audit log as the sign-in functions do', [`SELECT roshni_auth.audit(1, 'admin', 'x', 1, 'ok', NULL)`], /permission denied for function audit/],
    [
      'the old erasure setting, then rewriting the audit log',
      [
        `SELECT set_config('roshni.erasing_patient', (SELECT min(id) FROM patients)::text, true)`,
        "UPDATE audit_log SET meta = '{}' WHERE patient_id = (SELECT min(id) FROM patients)",
      ],
      /permission denied for table audit_log/,
    ],
    [
      'saying the audit log is being sealed',
      [`SELECT set_config('roshni.audit_write', 'seal', true)`, 'UPDATE audit_log SET chain_position = NULL, prev_hash = NULL, hash = NULL'],
      /permission denied for table audit_log/,
    ],
    [
      'writing an audit entry already sealed',
      [`INSERT INTO audit_log (actor_kind, action, entity, chain_position, prev_hash, hash) VALUES ('system', 'x', 'y', 1000000, sha256('a'), sha256('b'))`],
      /never written sealed/,
    ],
    [
      "the audit log's erasure function with a receptionist's session",
      [
        `SELECT set_config('roshni.session', '$DESK', true)`,
        'UPDATE patients SET erased_at = now()',
        `SELECT roshni_auth.redact_audit_for_erasure((SELECT min(id) FROM patients), '[]')`,
      ],
      /only a signed-in admin/,
    ],
    [
      "the audit log's erasure function for a patient not being erased",
      [`SELECT set_config('roshni.session', '$ADMIN', true)`, `SELECT roshni_auth.redact_audit_for_erasure((SELECT min(id) FROM patients), '[]')`],
      /not being erased in this transaction/,
    ],
    [
      "walking the audit log's chain without an admin's session",
      [`SELECT * FROM roshni_auth.audit_chain_page(0, sha256(''), 10)`],
      /only a signed-in admin may verify/,
    ],
  ])('%s is refused', async (_what, statements, expected) => {
    const documentsBefore = await database.db
      .selectFrom('documents')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    const auditBefore = await database.db
      .selectFrom('audit_log')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    const outcome = await attempt(statements as string[]);
    if (typeof expected === 'number') expect(outcome).toBe(expected);
    else expect(outcome).toMatch(expected);
    expect(
      await database.db
        .selectFrom('documents')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow(),
    ).toEqual(documentsBefore);
    expect(
      await database.db
        .selectFrom('audit_log')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow(),
    ).toEqual(auditBefore);
  });

  it("a receptionist's own session sees the family's documents but no clinical one; a made-up token sees nothing", async () => {
    const [patient] = await database.db.selectFrom('patients').select('id').execute();
    for (const level of ['family', 'therapist', 'admin'] as const) {
      await database.db
        .insertInto('documents')
        .values({
          patient_id: patient!.id,
          doc_type: 'report',
          access_level: level,
          sha256: randomBytes(32).toString('hex'),
          size_bytes: 1,
          mime_type: 'application/pdf',
          original_name: level,
        })
        .execute();
    }
    const seen = async (token: string) => {
      await desk.query('BEGIN');
      await desk.query(`SELECT set_config('roshni.session', $1, true)`, [token]);
      const { rows } = await desk.query('SELECT original_name FROM documents ORDER BY original_name');
      await desk.query('ROLLBACK');
      return rows.map((r) => r.original_name);
    };
    expect(await seen(tokens['farhan.desk']!)).toEqual(['family']);
    expect(await seen(tokens['anita.admin']!)).toEqual(['admin', 'family', 'therapist']);
    expect(await seen(`rsh_${randomBytes(32).toString('hex')}`)).toEqual([]);
    // A therapist who never saw Kavya sees none of her clinical papers.
    expect(await seen(tokens['priya.slp']!)).toEqual([]);
  });
});
