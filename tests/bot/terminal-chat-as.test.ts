import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addStaffUser } from '../../src/domain/people/staff.js';
import { runCli } from '../support/cli.js';
import { seedClinic, systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { sessionFor } from '../support/staff-sessions.js';

// `roshni chat --as` lets staff try the bot as a family. What the chat then does is audited in the
// family's name, so the staff member at the keyboard is recorded first.
describe('roshni chat --as', () => {
  let database: TestDatabase;
  let clinic: Awaited<ReturnType<typeof seedClinic>>;
  let env: Record<string, string>;

  beforeAll(async () => {
    database = await createTestDatabase();
    const ctx = systemContext(database.db);
    clinic = await seedClinic(ctx, { patients: 1, days: 3 });
    await addStaffUser(ctx, { username: 'farhan.desk', fullName: 'Farhan Ali', role: 'receptionist' });
    env = { DATABASE_URL: database.url, ROSHNI_SESSION: await sessionFor(database.db, 'farhan.desk') };
  });
  afterAll(() => database?.close());

  it('records who chatted as whom, by ids only, before anything the chat does', async () => {
    const patient = clinic.patients[0]!;
    const run = await runCli(['chat', '--as', patient.phone!], env, { input: '1\n1\n1\n1\n1\n1\n/quit\n' });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('You are connected');
    expect(run.stdout).toMatch(/Booked! Your appointment number is APT-/);

    const entries = await database.db.selectFrom('audit_log').select(['id', 'action', 'actor_kind', 'actor_role', 'entity', 'entity_id', 'patient_id', 'after']).orderBy('id').execute();
    const chatAs = entries.find((e) => e.action === 'chat.as');
    expect(chatAs).toMatchObject({
      actor_kind: 'staff',
      actor_role: 'receptionist',
      entity: 'patient',
      entity_id: String(patient.id),
      patient_id: patient.id,
      after: { as: 'patient', patientId: patient.id },
    });
    expect(JSON.stringify(chatAs)).not.toContain(patient.phone!.slice(-6)); // no phone number in the trail
    const asPatient = entries.filter((e) => e.actor_kind === 'patient');
    expect(asPatient.map((e) => e.action)).toContain('appointment.book'); // the booking, in the patient's name
    expect(asPatient.every((e) => e.id > chatAs!.id)).toBe(true);
  });

  it('every run is recorded: each starts a conversation of its own', async () => {
    const patient = clinic.patients[0]!;
    const count = async () => (await database.db.selectFrom('audit_log').select('id').where('action', '=', 'chat.as').execute()).length;
    const before = await count();
    for (let run = 0; run < 2; run++) expect((await runCli(['chat', '--as', patient.phone!], env, { input: '/quit\n' })).code).toBe(0);
    expect(await count()).toBe(before + 2);
  });

  it('the same when the number is typed into a plain `roshni chat`', async () => {
    const patient = clinic.patients[0]!;
    const run = await runCli(['chat'], env, { input: `${patient.phone}\n/quit\n` });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('You are connected');
    const entry = await database.db.selectFrom('audit_log').select(['actor_role', 'after', 'patient_id']).where('action', '=', 'chat.as').orderBy('id', 'desc').executeTakeFirstOrThrow();
    expect(entry).toEqual({ actor_role: 'receptionist', after: { as: 'patient', patientId: patient.id }, patient_id: patient.id });
  });

  it('a therapist may not chat as a family: refused before the chat opens', async () => {
    await addStaffUser(systemContext(database.db), { username: 'priya.slp', fullName: 'Priya Nair', role: 'therapist' });
    const therapist = { DATABASE_URL: database.url, ROSHNI_SESSION: await sessionFor(database.db, 'priya.slp') };
    const patient = clinic.patients[0]!;
    const ok = async () => (await database.db.selectFrom('audit_log').select('id').where('action', '=', 'chat.as').where('outcome', '=', 'ok').execute()).length;
    const before = await ok();
    for (const argv of [['chat', '--as', patient.phone!], ['chat']]) {
      const run = await runCli(argv, therapist, { input: `${patient.phone}\n/quit\n` });
      expect(run.code, run.stderr).toBe(5);
      expect(run.stdout).not.toContain('You are connected');
    }
    expect(await ok()).toBe(before);
  });
});
