import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addPatient } from '../../src/domain/people/patients.js';
import { addStaffUser } from '../../src/domain/people/staff.js';
import { bookAppointment } from '../../src/domain/scheduling/book-appointment.js';
import { cancelAppointment } from '../../src/domain/scheduling/cancel-appointment.js';
import { checkInAppointment, completeAppointment, markNoShow } from '../../src/domain/scheduling/attendance.js';
import { addDays, clinicDate, zonedInstant } from '../../src/domain/time.js';
import { fixedClock } from '../../src/infra/clock.js';
import { runCli } from '../support/cli.js';
import { seedClinic, slotsOn, systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { sessionFor } from '../support/staff-sessions.js';

describe('a day at the front desk, through the CLI', () => {
  // Each test opens a clinic of its own, with three patients and ten days of slots from today, and
  // its admin at the desk (signed in).
  let database: TestDatabase;
  let env: Record<string, string>;
  let adminId: number;
  const tomorrow = addDays(clinicDate(new Date(), 'Asia/Kolkata'), 1);

  beforeEach(async () => {
    database = await createTestDatabase();
    await seedClinic(systemContext(database.db), { patients: 3 });
    adminId = (await addStaffUser(systemContext(database.db), { username: 'anita.admin', fullName: 'Anita Rao', role: 'admin' })).id;
    env = { DATABASE_URL: database.url, ROSHNI_SESSION: await sessionFor(database.db, 'anita.admin') };
  });
  afterEach(() => database?.close());

  /** Patient 001 is booked with Priya at 09:00 tomorrow. */
  async function bookPatient001AtNine() {
    const booked = await runCli(
      ['book', '--patient', 'Patient 001', '--service', 'speech-therapy', '--therapist', 'priya', '--at', `${tomorrow} 09:00`, '--json'],
      env,
    );
    expect(booked.code).toBe(0);
    return JSON.parse(booked.stdout);
  }

  it('books at 09:00 IST, stored as 03:30 UTC and shown as 09:00', async () => {
    const { code, stdout, stderr } = await runCli(
      ['book', '--patient', 'Patient 001', '--service', 'speech-therapy', '--therapist', 'priya', '--at', `${tomorrow} 09:00`, '--json'],
      env,
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const booked = JSON.parse(stdout);
    expect(booked.appointmentNumber).toMatch(/^APT-\d{6}$/);
    expect(booked.startsAt).toBe(`${tomorrow}T03:30:00.000Z`);
    const schedule = await runCli(['schedule', '--date', tomorrow], env);
    expect(schedule.stdout).toMatch(/09:00–09:45\s+APT-\d{6}\s+Patient 001\s+Speech therapy session\s+scheduled\s+unpaid ₹1,000.00/);
    // Part paid: what is still owed, in the desk's words, in the schedule and the list alike.
    expect((await runCli(['pay', 'cash', booked.appointmentNumber, '--amount', '800'], env)).code).toBe(0);
    const owed = /part-paid, ₹200\.00 due/;
    expect((await runCli(['schedule', '--date', tomorrow], env)).stdout).toMatch(owed);
    const listed = await runCli(['appointments', 'list', '--from', tomorrow, '--to', tomorrow], env);
    expect(listed.stdout).toMatch(owed);
    expect(listed.stdout).not.toContain('partially_paid');
  });

  it('tells the desk a slot is taken and which times are still free', async () => {
    await bookPatient001AtNine();
    const { code, stderr } = await runCli(
      ['book', '--patient', 'Patient 002', '--service', 'speech-therapy', '--therapist', 'priya', '--at', `${tomorrow} 09:00`],
      env,
    );
    expect(code).toBe(4);
    expect(stderr).toMatch(/^roshni: The slot \w{3}, \d+ \w{3}, 09:00 with Dr\. Priya Sharma was just taken\. Free times that day: 10:00, 11:00, 12:00\.\n$/);
  });

  it('books a weekly series, opening the slots it needs from the working hours', async () => {
    const { code, stdout } = await runCli(
      [
        'book',
        '--patient',
        'Patient 003',
        '--service',
        'physiotherapy',
        '--therapist',
        'meera',
        '--repeat',
        'mon,wed,fri',
        '--at',
        '11:00',
        '--weeks',
        '3',
        '--from',
        tomorrow,
        '--json',
      ],
      env,
    );
    expect(code).toBe(0);
    const series = JSON.parse(stdout);
    // Slots had been made for ten days only; the later dates' slots are made from Meera's hours.
    expect(series.booked).toHaveLength(9);
    expect(series.notBooked).toEqual([]);
    const count = await database.db.selectFrom('appointments').select('id').where('series_id', '=', series.seriesId).execute();
    expect(count).toHaveLength(series.booked.length);
  });

  it('refuses illegal transitions with a clear message and exit code 2', async () => {
    await bookPatient001AtNine();
    const list = JSON.parse((await runCli(['appointments', 'list', '--patient', 'Patient 001', '--json'], env)).stdout);
    const number = list[0].appointmentNumber;
    const checkin = await runCli(['checkin', number], env);
    expect(checkin.code).toBe(2);
    expect(checkin.stderr).toContain('check-in is on the day');
    expect((await runCli(['cancel', number], env)).stderr).toContain('reason: is required');
    const cancelled = await runCli(['cancel', number, '--reason', 'Family travelling', '--json'], env);
    expect(cancelled.code).toBe(0);
    // Late or not depends on the hour this test runs; the clinic-clock scenario below pins it down.
    expect(typeof JSON.parse(cancelled.stdout).lateCancellation).toBe('boolean');
    const complete = await runCli(['complete', number], env);
    expect(complete.code).toBe(2);
    expect(complete.stderr).toContain(`Cannot complete appointment ${number}: it is cancelled.`);
    expect((await runCli(['cancel', 'APT-999999', '--reason', 'nobody'], env)).code).toBe(3);
  });

  it('writes the audit log for every change, with before and after of status changes', async () => {
    const { appointmentNumber } = await bookPatient001AtNine();
    const series = await runCli(
      [
        'book',
        '--patient',
        'Patient 003',
        '--service',
        'physiotherapy',
        '--therapist',
        'meera',
        '--repeat',
        'mon,wed,fri',
        '--at',
        '11:00',
        '--weeks',
        '1',
        '--from',
        tomorrow,
      ],
      env,
    );
    expect(series.code).toBe(0);
    expect((await runCli(['cancel', appointmentNumber, '--reason', 'Family travelling'], env)).code).toBe(0);
    const rows = await database.db.selectFrom('audit_log').selectAll().where('action', '=', 'appointment.cancelled').execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ before: { status: 'scheduled' }, after: { status: 'cancelled' }, actor_kind: 'staff', actor_id: adminId });
    const actions = (await database.db.selectFrom('audit_log').select('action').execute()).map((r) => r.action);
    expect(actions).toEqual(expect.arrayContaining(['appointment.book', 'appointment.book_series', 'appointment.cancelled', 'slots.generate']));
  });
});

describe('the appointment lifecycle, on the clinic clock', () => {
  // Each test opens a clinic of its own and seeds it at its own instant.
  let database: TestDatabase;
  beforeEach(async () => {
    database = await createTestDatabase();
  });
  afterEach(() => database?.close());

  it('goes scheduled → in progress → completed on the day, and flags only late cancellations', async () => {
    const clock = fixedClock('2027-03-01T00:00:00Z');
    const ctx = systemContext(database.db, clock);
    const clinic = await seedClinic(ctx, { patients: 2, days: 5 });
    const [first, second] = await slotsOn(ctx, clinic.speech.id, '2027-03-03');
    const visit = await bookAppointment(ctx, { patientId: clinic.patients[0]!.id, serviceId: clinic.speechService.id, slotId: first!.id });
    const early = await bookAppointment(ctx, { patientId: clinic.patients[1]!.id, serviceId: clinic.speechService.id, slotId: second!.id });

    // Two days ahead: not late. Then on the day at 08:30, one hour before: late.
    expect((await cancelAppointment(ctx, { appointmentId: early.id, reason: 'Fever' })).lateCancellation).toBe(false);
    clock.set(zonedInstant('2027-03-03', '08:30', 'Asia/Kolkata'));
    await expect(markNoShow(ctx, { appointmentId: visit.id })).rejects.toThrow('has not started yet');
    await checkInAppointment(ctx, { appointmentId: visit.id });
    const done = await completeAppointment(ctx, { appointmentId: visit.id });
    expect(done.status).toBe('completed');
    await expect(cancelAppointment(ctx, { appointmentId: visit.id, reason: 'oops' })).rejects.toThrow(/already begun|Cannot cancel/);

    const another = await addPatient(ctx, { fullName: 'Late Canceller' });
    const [, , third] = await slotsOn(ctx, clinic.speech.id, '2027-03-03');
    const soon = await bookAppointment(ctx, { patientId: another.id, serviceId: clinic.speechService.id, slotId: third!.id });
    expect((await cancelAppointment(ctx, { appointmentId: soon.id, reason: 'Stuck in traffic' })).lateCancellation).toBe(true);
  });

  it('refuses to book a slot in the past', async () => {
    // Slots made on 1 March for the days after; by 10 March, those of 3 March are in the past.
    const clock = fixedClock('2027-03-01T00:00:00Z');
    const ctx = systemContext(database.db, clock);
    const clinic = await seedClinic(ctx, { patients: 1, days: 5 });
    clock.set('2027-03-10T12:00:00Z');
    const [past] = await slotsOn(ctx, clinic.speech.id, '2027-03-03');
    const patient = await addPatient(ctx, { fullName: 'Time Traveller' });
    await expect(bookAppointment(ctx, { patientId: patient.id, serviceId: clinic.speechService.id, slotId: past!.id })).rejects.toThrow('is in the past');
  });
});
