import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addStaffUser } from '../../src/domain/people/staff.js';
import { addDays, clinicDate } from '../../src/domain/time.js';
import { runCli } from '../support/cli.js';
import { seedClinic, systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { staffEnvironments } from '../support/staff-sessions.js';

describe('roshni audit', () => {
  let database: TestDatabase;
  let as: (username: string) => Promise<Record<string, string>>;
  let today: string;
  let patientId: number;

  beforeEach(async () => {
    database = await createTestDatabase();
    as = staffEnvironments(database.db, { DATABASE_URL: database.url });
    const ctx = systemContext(database.db);
    const clinic = await seedClinic(ctx, { days: 3 });
    patientId = clinic.patients[0]!.id;
    await addStaffUser(ctx, { username: 'asha', fullName: 'Asha Rao', role: 'admin' });
    await addStaffUser(ctx, { username: 'ravi', fullName: 'Ravi Kumar', role: 'receptionist' });
    today = clinicDate(new Date(), 'Asia/Kolkata');
    const booked = await runCli(
      ['book', '--patient', 'Patient 001', '--service', 'speech-therapy', '--therapist', 'priya', '--at', `${addDays(today, 1)} 10:00`],
      await as('ravi'),
    );
    expect(booked.code, booked.stderr).toBe(0);
  });
  afterEach(() => database.close());

  const audit = async (flags: string[], user = 'asha') => {
    const result = await runCli(['audit', ...flags, '--json'], await as(user));
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as Array<{ actorUsername: string | null; actorKind: string; patientId: number | null; action: string }>;
  };

  it("lists one user's actions, one patient's entries, and a range of clinic dates", async () => {
    const all = await audit([]);
    expect(all.length).toBeGreaterThan(3);
    const byRavi = await audit(['--user', 'ravi']);
    expect(byRavi.length).toBeGreaterThan(0);
    expect(byRavi.every((e) => e.actorUsername === 'ravi' && e.actorKind === 'staff')).toBe(true);
    expect(byRavi.some((e) => /appointment/.test(e.action))).toBe(true);
    const aboutPatient = await audit(['--patient', 'Patient 001']);
    expect(aboutPatient.length).toBeGreaterThan(0);
    expect(aboutPatient.every((e) => e.patientId === patientId)).toBe(true);
    expect(await audit(['--from', today, '--to', today])).toHaveLength(all.length);
    expect(await audit(['--from', addDays(today, 1)])).toEqual([]);
    expect(await audit(['--to', addDays(today, -1)])).toEqual([]);
    expect(await audit(['--limit', '2'])).toHaveLength(2);
  });

  it('is for admins only, and says so for unknown users and bad dates', async () => {
    const refused = await runCli(['audit'], await as('ravi'));
    expect(refused.code).toBe(5);
    const unknown = await runCli(['audit', '--user', 'nobody'], await as('asha'));
    expect(unknown.code).toBe(3);
    const backwards = await runCli(['audit', '--from', today, '--to', addDays(today, -1)], await as('asha'));
    expect(backwards.code).toBe(2);
    const human = await runCli(['audit', '--user', 'ravi'], await as('asha'));
    expect(human.stdout).toMatch(/ravi \(receptionist\)/);
  });
});
