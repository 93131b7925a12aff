import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { saveClinicSettings } from '../../src/domain/clinic/settings.js';
import { addStaffUser } from '../../src/domain/people/staff.js';
import { runCli } from '../support/cli.js';
import { systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { sessionFor } from '../support/staff-sessions.js';

// How long a staff session may sit unused is the clinic's to choose (`roshni settings set --session-idle`),
// and the database ends sessions by it.
describe("a staff session's idle time", () => {
  let database: TestDatabase;
  const env = (token: string) => ({ DATABASE_URL: database.url, ROSHNI_SESSION: token });
  let admin: Record<string, string>;
  let desk: Record<string, string>;

  beforeEach(async () => {
    database = await createTestDatabase();
    const ctx = systemContext(database.db);
    await saveClinicSettings(ctx, { name: 'Sunrise Child Therapy' });
    await addStaffUser(ctx, { username: 'anita.admin', fullName: 'Anita Rao', role: 'admin' });
    await addStaffUser(ctx, { username: 'farhan.desk', fullName: 'Farhan Sheikh', role: 'receptionist' });
    admin = env(await sessionFor(database.db, 'anita.admin'));
    desk = env(await sessionFor(database.db, 'farhan.desk'));
  });
  afterEach(() => database?.close());

  const idle = async () => (await database.db.selectFrom('clinic_settings').select('session_idle_minutes').executeTakeFirstOrThrow()).session_idle_minutes;
  /** Moves a member of staff's last command `minutes` into the past. */
  const lastUsed = (username: string, minutes: number) =>
    sql`UPDATE roshni_auth.sessions SET last_seen_at = now() - make_interval(mins => ${minutes})
        WHERE staff_user_id = (SELECT id FROM staff_users WHERE username = ${username})`.execute(database.db);

  it('an admin sets it ("90m", "12h", "2d"), shown by settings show and audited with before and after', async () => {
    expect(await idle()).toBe(720);
    const set = await runCli(['settings', 'set', '--session-idle', '90m', '--json'], admin);
    expect(set.code, set.stderr).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({ sessionIdleMinutes: 90 });
    expect((await runCli(['settings', 'set', '--session-idle', '2d'], admin)).code).toBe(0);
    expect(await idle()).toBe(2 * 24 * 60);
    expect((await runCli(['settings', 'show'], admin)).stdout).toMatch(/A staff session ends after idle \(5m to 7d\)\s+2d\s+--session-idle/);

    const audit = await database.db
      .selectFrom('audit_log')
      .select(['actor_role', 'before', 'after'])
      .where('action', '=', 'clinic.policies')
      .orderBy('id')
      .execute();
    expect(audit).toEqual([
      { actor_role: 'admin', before: { sessionIdleMinutes: 720 }, after: { sessionIdleMinutes: 90 } },
      { actor_role: 'admin', before: { sessionIdleMinutes: 90 }, after: { sessionIdleMinutes: 2880 } },
    ]);
  });

  it.each([
    ['4m', /--session-idle: "4m" must be at least 5 minutes/],
    ['8d', /--session-idle: "8d" must be at most 7 days/],
    ['soon', /--session-idle: "soon" must be a duration such as "12h" or "90m"/],
  ])('refuses --session-idle %s with a clear message, changing nothing', async (value, message) => {
    const run = await runCli(['settings', 'set', '--session-idle', value], admin);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(await idle()).toBe(720);
  });

  it('only an admin may change it', async () => {
    const run = await runCli(['settings', 'set', '--session-idle', '7d'], desk);
    expect(run.code).toBe(5);
    expect(await idle()).toBe(720);
  });

  it('a session unused for longer than the setting is ended; one used within it goes on', async () => {
    expect((await runCli(['settings', 'set', '--session-idle', '90m'], admin)).code).toBe(0);
    await lastUsed('farhan.desk', 89);
    expect((await runCli(['staff', 'list'], desk)).code).toBe(0); // and that command resets the idle clock
    await lastUsed('farhan.desk', 91); // well within the default 12 hours: the clinic's own setting ends it
    const ended = await runCli(['staff', 'list'], desk);
    expect(ended.code).toBe(9);
    expect(ended.stderr).toMatch(/Your session has ended \(signed out, idle too long/);
  });
});
