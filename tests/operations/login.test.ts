import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addStaffUserWithPassword, setStaffPassword } from '../../src/domain/access/staff-passwords.js';
import { addStaffUser, deactivateStaffUser } from '../../src/domain/people/staff.js';
import { runCli } from '../support/cli.js';
import { systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { sessionFor } from '../support/staff-sessions.js';

const ASHA_PASSWORD = 'asha keeps the keys';
const RAVI_PASSWORD = 'ravi at the front desk';

describe('roshni login and logout', () => {
  let database: TestDatabase;
  let home: string;
  let env: Record<string, string>;
  let ravi: number;

  const sessionFile = () => join(home, 'session.json');
  const login = (username: string, password: string, extra: Record<string, string> = {}) =>
    runCli(['login', username, '--password-stdin'], { ...env, ...extra }, { input: `${password}\n` });
  const signIns = () =>
    database.db
      .selectFrom('audit_log')
      .select(['action', 'actor_id', 'entity_id', 'outcome', 'meta'])
      .where('action', 'in', ['staff.sign_in', 'staff.sign_out'])
      .orderBy('id')
      .execute();

  beforeEach(async () => {
    database = await createTestDatabase();
    home = mkdtempSync(join(tmpdir(), 'roshni-login-'));
    env = { DATABASE_URL: database.url, ROSHNI_HOME: home };
    const ctx = systemContext(database.db);
    const asha = await addStaffUser(ctx, { username: 'asha', fullName: 'Asha Rao', role: 'admin' });
    // Asha's is the first admin's password (a new clinic), then she, signed in, adds Ravi with his.
    await setStaffPassword(ctx, { username: 'asha', password: ASHA_PASSWORD });
    const admin = {
      ...ctx,
      actor: { kind: 'staff' as const, staffUserId: asha.id, role: 'admin' as const, therapistId: null },
      sessionToken: await sessionFor(database.db, 'asha'),
    };
    ravi = (await addStaffUserWithPassword(admin, { username: 'ravi', fullName: 'Ravi Kumar', role: 'receptionist' }, { password: RAVI_PASSWORD })).user.id;
  });
  afterEach(async () => {
    await database.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('acts as the signed-in member of staff until logout, from a file only its owner can read; ROSHNI_SESSION wins over it', async () => {
    expect((await runCli(['audit'], env)).code).toBe(9); // nobody signed in: no one to act as, not the system

    const signedIn = await login('ravi', RAVI_PASSWORD);
    expect(signedIn.code, signedIn.stderr).toBe(0);
    expect(signedIn.stdout).toContain('Signed in as ravi (receptionist)');
    expect(statSync(sessionFile()).mode & 0o777).toBe(0o600);
    const { username, token } = JSON.parse(readFileSync(sessionFile(), 'utf8')) as { username: string; token: string };
    expect(username).toBe('ravi');
    expect(token).toMatch(/^rsh_[0-9a-f]{64}$/);
    // The database knows the session by the token's hash only.
    const { rows: kept } = await sql<{ username: string }>`
      SELECT u.username FROM roshni_auth.sessions s JOIN staff_users u ON u.id = s.staff_user_id
      WHERE s.token_hash = sha256(convert_to(${token}, 'UTF8')) AND s.ended_at IS NULL`.execute(database.db);
    expect(kept).toEqual([{ username: 'ravi' }]);

    expect((await runCli(['audit'], env)).code).toBe(5); // a receptionist may not read the audit log
    expect((await runCli(['audit'], { ...env, ROSHNI_SESSION: await sessionFor(database.db, 'asha') })).code).toBe(0);
    // ROSHNI_USER no longer names anyone, not even beside a session: refused, not ignored.
    expect((await runCli(['audit'], { ...env, ROSHNI_USER: 'asha' })).code).toBe(6);

    const out = await runCli(['logout'], env);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain('Signed out: the session is ended.');
    expect(existsSync(sessionFile())).toBe(false);
    const after = await runCli(['audit'], env);
    expect(after.code).toBe(9); // nobody again: there is no system to fall back to
    expect(after.stderr).toMatch(/Nobody is signed in on this machine/);
    // The token the file held opens nothing any more, wherever it was copied.
    const copied = await runCli(['staff', 'list'], { ...env, ROSHNI_SESSION: token });
    expect(copied.code).toBe(9);
    expect(copied.stderr).toMatch(/Your session has ended/);

    const again = await runCli(['logout'], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Nobody was signed in on this computer.');

    expect((await signIns()).map((e) => [e.action, e.actor_id, e.outcome])).toEqual([
      ['staff.sign_in', ravi, 'ok'],
      ['staff.sign_out', ravi, 'ok'],
    ]);
  });

  it('refuses an unknown or deactivated user, or a wrong password, the same way, and changes nothing', async () => {
    const unknown = await login('nobody', RAVI_PASSWORD);
    expect(unknown.code).toBe(5);
    expect(unknown.stderr.trim()).toBe('roshni: Wrong username or password.');
    expect(existsSync(sessionFile())).toBe(false);

    const wrong = await login('ravi', ASHA_PASSWORD);
    expect(wrong.code).toBe(5);
    expect(wrong.stderr.trim()).toBe('roshni: Wrong username or password.');
    expect(existsSync(sessionFile())).toBe(false);

    // Deactivating Ravi ends the session he had, and his right password opens nothing any more.
    const live = await sessionFor(database.db, 'ravi');
    expect((await runCli(['staff', 'list'], { ...env, ROSHNI_SESSION: live })).code).toBe(0);
    await deactivateStaffUser(systemContext(database.db), { username: 'ravi' });
    expect((await runCli(['staff', 'list'], { ...env, ROSHNI_SESSION: live })).code).toBe(9);
    const deactivated = await login('ravi', RAVI_PASSWORD);
    expect(deactivated.code).toBe(5);
    expect(deactivated.stderr.trim()).toBe('roshni: Wrong username or password.');
    expect(existsSync(sessionFile())).toBe(false);

    expect((await signIns()).map((e) => [e.outcome, (e.meta as { reason?: string } | null)?.reason])).toEqual([
      ['denied', 'unknown username'],
      ['denied', 'wrong password'],
      ['denied', 'deactivated'],
    ]);
    expect(await database.db.selectFrom('audit_log').select('id').where('action', '=', 'staff.sign_in').where('outcome', '=', 'ok').execute()).toEqual([]);
  });
});
