import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../../src/domain/demo/demo-clinic.js';
import { runCli } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

async function counts(database: TestDatabase) {
  const { rows } = await sql<Record<string, number>>`
    SELECT (SELECT count(*) FROM patients)::int AS patients,
           (SELECT count(*) FROM guardians)::int AS guardians,
           (SELECT count(*) FROM therapists)::int AS therapists,
           (SELECT count(*) FROM staff_users)::int AS staff,
           (SELECT count(*) FROM appointment_slots)::int AS slots,
           (SELECT count(*) FROM appointments)::int AS appointments,
           (SELECT count(*) FROM payments)::int AS payments,
           (SELECT count(*) FROM services)::int AS services`.execute(database.db);
  return rows[0]!;
}

describe('roshni demo on PostgreSQL', () => {
  // Each test opens an empty clinic database of its own, and a home of its own for `roshni login`'s session.
  let database: TestDatabase;
  let home: string;
  const env = () => ({ DATABASE_URL: database.url, ROSHNI_HOME: home });
  const login = (username: string, password = DEMO_PASSWORD) => runCli(['login', username, '--password-stdin'], env(), { input: `${password}\n` });
  beforeEach(async () => {
    database = await createTestDatabase();
    home = mkdtempSync(join(tmpdir(), 'roshni-demo-'));
  });
  afterEach(async () => {
    await database?.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('loads the demo clinic and prints a schedule and what to try next', async () => {
    const { code, stdout, stderr } = await runCli(['demo'], { DATABASE_URL: database.url });
    expect(stderr).not.toContain('roshni:');
    expect(code).toBe(0);
    expect(stdout).toContain('Demo clinic loaded: 3 therapists, 32 patients, 6 bookings');
    // Its past (tests/cli/demo-history.test.ts): three months of sessions before today.
    expect(stdout).toMatch(/Its past, \d{4}-\d{2}-\d{2} to \d{4}-\d{2}-\d{2}: \d{3} appointments/);
    expect(stdout).toMatch(/Schedule for \d{4}-\d{2}-\d{2}/);
    expect(stdout).toContain('Aarav Gupta');
    expect(stdout).toContain('Try next:');
    // What to try next starts by signing in: the demo acts as the database's owner, nobody else does.
    expect(stdout.split('Try next:')[1]!.trim()).toMatch(/^roshni login demo\.admin\b/);
    expect(stdout).toContain(DEMO_PASSWORD);

    const c = await counts(database);
    expect(c).toMatchObject({ patients: 32, guardians: 20, therapists: 3, staff: 5, services: 5 });
    // The six bookings from today on, and the past's appointments and payments before it.
    expect(c.appointments).toBeGreaterThan(500);
    expect(c.payments).toBeGreaterThan(400);
    expect(c.slots).toBeGreaterThan(1000);
    const [{ children }] = (
      await sql<{ children: number }>`
        SELECT count(*)::int AS children FROM patient_guardians pg JOIN guardians g ON g.id = pg.guardian_id
        WHERE g.full_name = 'Neha Gupta'`.execute(database.db)
    ).rows as [{ children: number }];
    expect(children).toBe(2);
  });

  it('lets the demo admin and desk sign in with the published password, and nobody with another', async () => {
    expect((await runCli(['demo'], env())).code).toBe(0);
    for (const [username, role] of [
      ['demo.admin', 'admin'],
      ['demo.desk', 'receptionist'],
    ]) {
      const signedIn = await login(username!);
      expect(signedIn.code, signedIn.stderr).toBe(0);
      expect(signedIn.stdout).toContain(`Signed in as ${username} (${role})`);
    }
    expect((await login('demo.admin', 'not the demo password')).code).toBe(5);
  });

  it('lets the demo therapists sign in with the published password too', async () => {
    expect((await runCli(['demo'], env())).code).toBe(0);
    for (const username of ['priya.slp', 'arjun.ot', 'meera.pt']) {
      const signedIn = await login(username);
      expect(signedIn.stdout).toContain(`Signed in as ${username} (therapist)`);
      expect(signedIn.code).toBe(0);
    }
  });

  it('changes nothing when run a second time', async () => {
    expect((await runCli(['demo'], { DATABASE_URL: database.url })).code).toBe(0);
    const before = await counts(database);
    const { code, stdout, stderr } = await runCli(['demo', '--json'], { DATABASE_URL: database.url });
    expect(stderr).not.toContain('roshni:');
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result).toMatchObject({ peopleCreated: false, bookingsCreated: 0, slotsCreated: 0 });
    expect(result.appointments.length).toBeGreaterThan(0);
    expect(await counts(database)).toEqual(before);
  });

  it('shows the appointments with `today --json` as data only, once signed in as the demo admin', async () => {
    expect((await runCli(['demo'], env())).code).toBe(0);
    expect((await runCli(['today', '--json'], env())).code).toBe(9);
    expect((await login('demo.admin')).code).toBe(0);
    const { code, stdout, stderr } = await runCli(['today', '--json'], env());
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const today = JSON.parse(stdout);
    expect(today.timezone).toBe('Asia/Kolkata');
    expect(Array.isArray(today.appointments)).toBe(true);
  });

  it('refuses to mix sample patients into a real clinic', async () => {
    const other = await createTestDatabase();
    try {
      const init = await runCli(
        ['init', '--name', 'Sunrise Child Therapy', '--admin', 'anita.admin', '--admin-name', 'Anita Rao', '--password-stdin'],
        { DATABASE_URL: other.url },
        { input: 'sunrise clinic password\n' },
      );
      expect(init.code, init.stderr).toBe(0);
      const before = await counts(other);
      const { code, stderr } = await runCli(['demo'], { DATABASE_URL: other.url });
      expect(code).toBe(4);
      expect(stderr).toContain('This database holds the clinic "Sunrise Child Therapy"');
      expect(stderr).toContain('is loaded only into an empty database');
      expect(await counts(other)).toEqual(before);
      // There is no --force any more: a real clinic is refused whatever is asked.
      const forced = await runCli(['demo', '--force'], { DATABASE_URL: other.url });
      expect(forced.code).toBe(2);
      expect(forced.stderr).toContain("unknown option '--force'");
      expect(await counts(other)).toEqual(before);
    } finally {
      await other.close();
    }
  });
});
