import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DomainContext } from '../../src/domain/context.js';
import { scheduleReminders } from '../../src/domain/notifications/reminders.js';
import { addGuardian } from '../../src/domain/people/guardians.js';
import { addPatient } from '../../src/domain/people/patients.js';
import { bookAppointment } from '../../src/domain/scheduling/book-appointment.js';
import { addDays, clinicDate } from '../../src/domain/time.js';
import { fixedClock } from '../../src/infra/clock.js';
import { slotsOn, systemContext } from '../support/clinic.js';
import { openClinicalClinic } from '../clinical/clinical-clinic.js';

describe('consents, and messaging consent withdrawn', () => {
  // Each test opens a clinic of its own, where no consent is recorded yet.
  let clinic: Awaited<ReturnType<typeof openClinicalClinic>>;
  let ctx: DomainContext;
  let appointmentId: number;
  const pendingReminders = () =>
    clinic.database.db
      .selectFrom('notifications')
      .select('id')
      .where('appointment_id', '=', appointmentId)
      .where('kind', '=', 'reminder')
      .where('state', '=', 'pending')
      .execute();

  beforeEach(async () => {
    clinic = await openClinicalClinic();
    // Two days after the clinic's first day (three weeks ago), 05:30 in the clinic: Patient 003's
    // session at 12:00 that day is six and a half hours away, so its 2-hour reminder is due.
    const day = addDays(addDays(clinicDate(new Date(), 'Asia/Kolkata'), -21), 2);
    ctx = systemContext(clinic.database.db, fixedClock(`${day}T00:00:00Z`));
    const [, , , noon] = await slotsOn(ctx, clinic.clinic.speech.id, day);
    appointmentId = (await bookAppointment(ctx, { patientId: clinic.clinic.patients[2]!.id, serviceId: clinic.clinic.speechService.id, slotId: noon!.id })).id;
    await scheduleReminders(ctx); // the reminder job writes the session's reminders
  });
  afterEach(() => clinic?.close());

  it('records consents at the desk, and lists them with when and how', async () => {
    const granted = await clinic.roshni(['consent', 'grant', 'P-00003', '--purpose', 'messaging', '--channel', 'paper', '--notice', 'paper-2026-01'], 'desk');
    expect(granted.stderr).toBe('');
    expect(granted.code).toBe(0);
    expect(granted.stdout).toContain('Recorded messaging consent');
    expect((await clinic.roshni(['consent', 'grant', 'P-00003', '--purpose', 'data_processing'], 'desk')).code).toBe(0);
    const twice = await clinic.roshni(['consent', 'grant', 'P-00003', '--purpose', 'messaging'], 'desk');
    expect(twice.code).toBe(4);
    expect(twice.stderr).toContain('already in force');
    const listed = JSON.parse((await clinic.roshni(['consent', 'list', 'P-00003', '--json'], 'anita')).stdout);
    expect(
      listed.map((c: { purpose: string; channel: string; noticeVersion: string; inForce: boolean }) => [c.purpose, c.channel, c.noticeVersion, c.inForce]),
    ).toEqual([
      ['messaging', 'paper', 'paper-2026-01', true],
      ['data_processing', 'cli', 'desk-2026-11', true],
    ]);
    expect((await clinic.roshni(['consent', 'list', 'P-00003'], 'priya')).code).toBe(5);
    expect((await clinic.roshni(['consent', 'grant', 'P-00003', '--purpose', 'marketing'], 'priya')).code).toBe(5);
    const bad = await clinic.roshni(['consent', 'grant', 'P-00003', '--purpose', 'spam'], 'desk');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('purpose: must be one of data_processing, messaging, marketing, treatment');
  });

  it('a guardian consents for a child, and is named with it', async () => {
    const mother = await addGuardian(ctx, { fullName: 'Lata Menon', phone: '+919866677788' });
    await addPatient(ctx, { fullName: 'Ira Menon', dateOfBirth: '2019-03-03', withGuardian: { guardianId: mother.id, isPrimary: true } });
    const granted = await clinic.roshni(['consent', 'grant', 'Ira Menon', '--purpose', 'treatment', '--guardian', '+91 98666 77788'], 'desk');
    expect(granted.code).toBe(0);
    const listed = await clinic.roshni(['consent', 'list', 'Ira Menon'], 'desk');
    expect(listed.stdout).toContain('Lata Menon (guardian)');
    const stranger = await clinic.roshni(['consent', 'grant', 'P-00003', '--purpose', 'treatment', '--guardian', '+91 98666 77788'], 'desk');
    expect(stranger.code).toBe(3);
    expect(stranger.stderr).toContain('is not linked to patient');
  });

  it('withdrawing messaging withdraws the pending reminders and writes no new ones, until consent is given again', async () => {
    for (const purpose of ['messaging', 'data_processing']) {
      expect((await clinic.roshni(['consent', 'grant', 'P-00003', '--purpose', purpose], 'desk')).code).toBe(0);
    }
    expect((await pendingReminders()).length).toBeGreaterThan(0);
    const withdrawn = await clinic.roshni(['consent', 'withdraw', 'P-00003', '--purpose', 'messaging'], 'desk');
    expect(withdrawn.stderr).toBe('');
    expect(withdrawn.code).toBe(0);
    expect(withdrawn.stdout).toContain('No more reminders; 1 pending reminder(s) withdrawn.');
    expect(await pendingReminders()).toEqual([]);
    expect((await scheduleReminders(ctx)).scheduled).toBe(0);
    expect(await pendingReminders()).toEqual([]);

    const again = await clinic.roshni(['consent', 'withdraw', 'P-00003', '--purpose', 'messaging'], 'desk');
    expect(again.code).toBe(3);
    expect(again.stderr).toContain('No messaging consent is in force');
    // The other consents stand.
    const listed = JSON.parse((await clinic.roshni(['consent', 'list', 'P-00003', '--json'], 'desk')).stdout);
    expect(listed.map((c: { purpose: string; inForce: boolean }) => [c.purpose, c.inForce])).toEqual([
      ['messaging', false],
      ['data_processing', true],
    ]);

    expect((await clinic.roshni(['consent', 'grant', 'P-00003', '--purpose', 'messaging'], 'desk')).code).toBe(0);
    expect((await scheduleReminders(ctx)).scheduled).toBeGreaterThan(0);
    expect((await pendingReminders()).length).toBeGreaterThan(0);
    const audit = await clinic.database.db
      .selectFrom('audit_log')
      .select(['action', 'patient_id'])
      .where('action', 'like', 'consent.%')
      .where('outcome', '=', 'ok')
      .execute();
    expect(audit.filter((a) => a.action === 'consent.withdraw')).toEqual([{ action: 'consent.withdraw', patient_id: clinic.clinic.patients[2]!.id }]);
  });
});

describe('data retention', () => {
  let clinic: Awaited<ReturnType<typeof openClinicalClinic>>;
  beforeAll(async () => {
    clinic = await openClinicalClinic();
    // Patient 003 registered three years ago and never came back.
    const db = clinic.database.db;
    await sql`ALTER TABLE patients DISABLE TRIGGER patients_updated_at`.execute(db);
    await db
      .updateTable('patients')
      .set({ created_at: sql`now() - interval '3 years'`, updated_at: sql`now() - interval '3 years'` })
      .where('id', '=', clinic.clinic.patients[2]!.id)
      .execute();
    await sql`ALTER TABLE patients ENABLE TRIGGER patients_updated_at`.execute(db);
  });
  afterAll(() => clinic?.close());

  it('lists patients past the retention period set with roshni settings, and erases them with --apply', async () => {
    const none = await clinic.roshni(['patient', 'retention'], 'anita');
    expect(none.stdout).toContain('No patient past the retention period (7 years');
    expect((await clinic.roshni(['settings', 'set', '--retention-years', '2'], 'anita')).code).toBe(0);
    const due = JSON.parse((await clinic.roshni(['patient', 'retention', '--json'], 'anita')).stdout);
    expect(due.years).toBe(2);
    expect(due.patients.map((p: { patientNumber: string }) => p.patientNumber)).toEqual(['P-00003']);
    expect((await clinic.roshni(['patient', 'retention'], 'desk')).code).toBe(5);

    const unconfirmed = await clinic.roshni(['patient', 'retention', '--apply'], 'anita');
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toContain('add --yes to confirm');
    const applied = await clinic.roshni(['patient', 'retention', '--apply', '--yes'], 'anita');
    expect(applied.stderr).toBe('');
    expect(applied.stdout).toContain('Erased 1 patient(s): P-00003.');
    const erased = await clinic.database.db
      .selectFrom('patients')
      .select(['full_name', 'phone', 'erased_at'])
      .where('patient_number', '=', 'P-00003')
      .executeTakeFirstOrThrow();
    expect(erased).toMatchObject({ full_name: 'Erased patient', phone: null });
    expect(erased.erased_at).not.toBeNull();
    const entry = await clinic.database.db
      .selectFrom('audit_log')
      .select('meta')
      .where('action', '=', 'patient.erase')
      .where('outcome', '=', 'ok')
      .executeTakeFirstOrThrow();
    expect((entry.meta as { reason: string }).reason).toMatch(/^Data retention: no activity since \d{4}-\d\d-\d\d, more than 2 year\(s\) ago$/);
    expect((await clinic.roshni(['patient', 'retention'], 'anita')).stdout).toContain('No patient past the retention period');
  });
});
