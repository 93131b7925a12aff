import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addGuardian, linkGuardian } from '../../src/domain/people/guardians.js';
import { addPatient } from '../../src/domain/people/patients.js';
import { addStaffUser } from '../../src/domain/people/staff.js';
import { runCli } from '../support/cli.js';
import { seedClinic, systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { sessionFor } from '../support/staff-sessions.js';

// `roshni chat --as` lets the desk use the bot for a family (reception and admins only). The chat keeps the
// family's rules, but what it books or cancels is recorded as done by the desk, on the family's behalf.
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

    const entries = await database.db
      .selectFrom('audit_log')
      .select(['id', 'action', 'actor_kind', 'actor_role', 'entity', 'entity_id', 'patient_id', 'after', 'meta'])
      .orderBy('id')
      .execute();
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
    // The booking is the desk's, made for the patient, after the chat.as entry.
    const booking = entries.find((e) => e.action === 'appointment.book');
    expect(booking).toMatchObject({ actor_kind: 'staff', actor_role: 'receptionist', meta: { onBehalfOf: 'patient', patientId: patient.id } });
    expect(booking!.id).toBeGreaterThan(chatAs!.id);
    expect(entries.filter((e) => e.actor_kind === 'patient')).toEqual([]);
  });

  it('what the desk books and cancels for a family is recorded as done by the desk, on behalf of the guardian', async () => {
    const ctx = systemContext(database.db);
    const guardian = await addGuardian(ctx, { fullName: 'Sunita Verma', phone: '+919811122233' });
    const child = await addPatient(ctx, { fullName: 'Kabir Verma', dateOfBirth: '2019-03-14' });
    await linkGuardian(ctx, { guardianId: guardian.id, patientId: child.id, relationship: 'mother', isPrimary: true });
    const run = await runCli(['chat', '--as', '98111 22233'], env, { input: '1\n1\n1\n1\n1\n1\n2\n2\n1\n2\n1\n/quit\n' });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/Booked! Your appointment number is APT-/);
    expect(run.stdout).toMatch(/Appointment APT-\d+ is cancelled/);

    const farhan = await database.db.selectFrom('staff_users').select('id').where('username', '=', 'farhan.desk').executeTakeFirstOrThrow();
    const appointment = await database.db
      .selectFrom('appointments')
      .select(['id', 'status', 'booked_via', 'booked_by_staff_id', 'booked_by_guardian_id', 'cancelled_by', 'cancelled_by_staff_id'])
      .where('patient_id', '=', child.id)
      .executeTakeFirstOrThrow();
    expect(appointment).toMatchObject({
      status: 'cancelled',
      booked_via: 'terminal_chat',
      booked_by_staff_id: farhan.id, // the desk booked it…
      booked_by_guardian_id: guardian.id, // …for the guardian
      cancelled_by: 'staff',
      cancelled_by_staff_id: farhan.id,
    });
    const entries = await database.db
      .selectFrom('audit_log')
      .select(['action', 'actor_kind', 'actor_id', 'actor_role', 'meta'])
      .where('entity', '=', 'appointment')
      .where('entity_id', '=', String(appointment.id))
      .orderBy('id')
      .execute();
    expect(entries.map((e) => e.action)).toEqual(expect.arrayContaining(['appointment.book', 'appointment.cancelled']));
    for (const entry of entries) {
      expect(entry).toMatchObject({
        actor_kind: 'staff',
        actor_id: farhan.id,
        actor_role: 'receptionist',
        meta: { onBehalfOf: 'guardian', guardianId: guardian.id },
      });
    }
    expect(JSON.stringify(entries)).not.toMatch(/Sunita|Kabir|98111/);
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
    const entry = await database.db
      .selectFrom('audit_log')
      .select(['actor_role', 'after', 'patient_id'])
      .where('action', '=', 'chat.as')
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    expect(entry).toEqual({ actor_role: 'receptionist', after: { as: 'patient', patientId: patient.id }, patient_id: patient.id });
  });

  it('a therapist may not chat as a family: refused before the chat opens', async () => {
    await addStaffUser(systemContext(database.db), { username: 'priya.slp', fullName: 'Priya Nair', role: 'therapist' });
    const therapist = { DATABASE_URL: database.url, ROSHNI_SESSION: await sessionFor(database.db, 'priya.slp') };
    const patient = clinic.patients[0]!;
    const ok = async () =>
      (await database.db.selectFrom('audit_log').select('id').where('action', '=', 'chat.as').where('outcome', '=', 'ok').execute()).length;
    const before = await ok();
    for (const argv of [['chat', '--as', patient.phone!], ['chat']]) {
      const run = await runCli(argv, therapist, { input: `${patient.phone}\n/quit\n` });
      expect(run.code, run.stderr).toBe(5);
      expect(run.stdout).not.toContain('You are connected');
    }
    expect(await ok()).toBe(before);
  });
});
