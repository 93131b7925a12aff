import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
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
  // Each test opens an empty clinic database of its own.
  let database: TestDatabase;
  beforeEach(async () => {
    database = await createTestDatabase();
  });
  afterEach(() => database?.close());

  it('loads the demo clinic and prints a schedule and what to try next', async () => {
    const { code, stdout, stderr } = await runCli(['demo'], { DATABASE_URL: database.url });
    expect(stderr).not.toContain('roshni:');
    expect(code).toBe(0);
    expect(stdout).toContain('Demo clinic loaded: 3 therapists, 5 patients, 6 bookings');
    expect(stdout).toMatch(/Schedule for \d{4}-\d{2}-\d{2}/);
    expect(stdout).toContain('Aarav Gupta');
    expect(stdout).toContain('Try next:');

    const c = await counts(database);
    expect(c).toMatchObject({ patients: 5, guardians: 2, therapists: 3, staff: 5, appointments: 6, payments: 2, services: 5 });
    expect(c.slots).toBeGreaterThan(150);
    const [{ children }] = (
      await sql<{ children: number }>`
        SELECT count(*)::int AS children FROM patient_guardians pg JOIN guardians g ON g.id = pg.guardian_id
        WHERE g.full_name = 'Neha Gupta'`.execute(database.db)
    ).rows as [{ children: number }];
    expect(children).toBe(2);
  });

  it('changes nothing when run a second time', async () => {
    expect((await runCli(['demo'], { DATABASE_URL: database.url })).code).toBe(0);
    const before = await counts(database);
    const { code, stdout } = await runCli(['demo', '--json'], { DATABASE_URL: database.url });
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result).toMatchObject({ peopleCreated: false, bookingsCreated: 0, slotsCreated: 0 });
    expect(result.appointments.length).toBeGreaterThan(0);
    expect(await counts(database)).toEqual(before);
  });

  it('shows the appointments with `today --json` as data only', async () => {
    expect((await runCli(['demo'], { DATABASE_URL: database.url })).code).toBe(0);
    const { code, stdout } = await runCli(['today', '--json'], { DATABASE_URL: database.url });
    expect(code).toBe(0);
    const today = JSON.parse(stdout);
    expect(today.timezone).toBe('Asia/Kolkata');
    expect(Array.isArray(today.appointments)).toBe(true);
  });

  it('refuses to mix sample patients into a real clinic', async () => {
    const other = await createTestDatabase();
    try {
      expect((await runCli(['init', '--name', 'Sunrise Child Therapy'], { DATABASE_URL: other.url })).code).toBe(0);
      const { code, stderr } = await runCli(['demo'], { DATABASE_URL: other.url });
      expect(code).toBe(4);
      expect(stderr).toContain('already holds the clinic "Sunrise Child Therapy"');
      expect((await counts(other)).patients).toBe(0);
    } finally {
      await other.close();
    }
  });
});
