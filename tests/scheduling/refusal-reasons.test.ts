import { readFileSync } from 'node:fs';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDomainError } from '../../src/domain/errors.js';
import { addGuardian } from '../../src/domain/people/guardians.js';
import { addStaffUser } from '../../src/domain/people/staff.js';
import { rescheduleAppointment } from '../../src/domain/scheduling/reschedule-appointment.js';
import { bookAppointment } from '../../src/domain/scheduling/book-appointment.js';
import { cancelAppointment } from '../../src/domain/scheduling/cancel-appointment.js';
import { addHoliday } from '../../src/domain/scheduling/holidays.js';
import { addLeave } from '../../src/domain/scheduling/leave.js';
import { generateSlots } from '../../src/domain/scheduling/slots.js';
import { zonedInstant } from '../../src/domain/time.js';
import { fixedClock } from '../../src/infra/clock.js';
import { runCli } from '../support/cli.js';
import { seedClinic, systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { staffEnvironments } from '../support/staff-sessions.js';

// Each reason the bookable-slot rule gives, through every way of booking: `book --at`, `book --slot`,
// `reschedule`, and a weekly series. The message names the reason that refused, and the exit code is
// the README's ("Why a booking is refused").

const NOW = '2027-03-01T02:30:00Z'; // Monday 1 March, 08:00 in the clinic
const TZ = 'Asia/Kolkata';

interface Case {
  reason: string;
  date: string;
  time: string;
  therapist?: 'priya' | 'meera';
  message: RegExp;
  /** Patient 001 already has an appointment at that time; the others do not. */
  patient?: string;
  /** No slot exists then: only --at and a series can ask. */
  noSlot?: boolean;
}

const CASES: Case[] = [
  { reason: 'past', date: '2027-02-28', time: '10:00', message: /Sun, 28 Feb, 10:00 with Dr\. Priya Sharma is in the past\./ },
  { reason: 'min_notice', date: '2027-03-01', time: '09:00', message: /Appointments need at least 2 hours' notice: .*Mon, 1 Mar, 09:00.* is sooner\./ },
  {
    reason: 'max_advance',
    date: '2027-05-10',
    time: '10:00',
    message: /Mon, 10 May, 10:00.* is more than 60 days ahead: the clinic books up to Fri, 30 Apr\./,
  },
  { reason: 'holiday', date: '2027-03-03', time: '10:00', message: /Wed, 3 Mar is a clinic holiday \(Holi\)\./ },
  { reason: 'leave', date: '2027-03-04', time: '10:00', message: /Dr\. Priya Sharma is on leave on Thu, 4 Mar\./ },
  {
    reason: 'outside_hours',
    date: '2027-03-05',
    time: '15:00',
    noSlot: true,
    message: /Dr\. Priya Sharma does not work at 15:00 on Fri, 5 Mar \(working hours that day: 09:00–13:00\)\./,
  },
  {
    reason: 'patient_clash',
    date: '2027-03-08',
    time: '10:00',
    patient: 'Patient 001',
    message: /The patient already has an appointment at that time \(APT-\d{6}\)\./,
  },
  { reason: 'full', date: '2027-03-09', time: '10:00', message: /The slot Tue, 9 Mar, 10:00 with Dr\. Priya Sharma is already booked\./ },
  {
    reason: 'not_a_slot_time',
    date: '2027-03-10',
    time: '10:30',
    noSlot: true,
    message: /No slot starts at 10:30 on 2027-03-10\. Free times that day: 09:00, 10:00, 11:00, 12:00\./,
  },
];

/** The README's table: reason → exit code. */
function readmeExitCodes(): Map<string, number> {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('#### Why a booking is refused'));
  const rows = [...section.matchAll(/^\| ([a-z_]+) \| (\d+) \|/gm)].map((m) => [m[1]!, Number(m[2])] as const);
  return new Map(rows);
}

describe('every refusal gives the reason that refused it, whichever way the booking came', () => {
  let database: TestDatabase;
  let cli: (argv: string[]) => ReturnType<typeof runCli>;
  let slotAt: (therapist: string, date: string, time: string) => Promise<number>;
  let toMove: string;
  const exitCodes = readmeExitCodes();

  beforeAll(async () => {
    database = await createTestDatabase();
    const clock = fixedClock(NOW);
    const ctx = systemContext(database.db, clock);
    const clinic = await seedClinic(ctx, { patients: 3, days: 10 });
    await addStaffUser(ctx, { username: 'desk', fullName: 'Front Desk', role: 'receptionist' });
    const signedIn = staffEnvironments(database.db, { DATABASE_URL: database.url });
    cli = async (argv) => runCli(argv, await signedIn('desk'), { clock });
    // Slots in the past and beyond the booking window, as if made then.
    await generateSlots(ctx, { from: '2027-02-28', to: '2027-02-28' });
    await generateSlots(ctx, { from: '2027-05-10', to: '2027-05-10' });
    await addHoliday(ctx, { date: '2027-03-03', name: 'Holi' });
    await addLeave(ctx, { therapistId: clinic.speech.id, from: '2027-03-04', to: '2027-03-04' });
    const therapistIds: Record<string, number> = { priya: clinic.speech.id, meera: clinic.physio.id };
    slotAt = async (therapist, date, time) =>
      (
        await database.db
          .selectFrom('appointment_slots')
          .select('id')
          .where('therapist_id', '=', therapistIds[therapist]!)
          .where('starts_at', '=', zonedInstant(date, time, TZ))
          .executeTakeFirstOrThrow()
      ).id;
    const [p1, p2] = clinic.patients;
    await bookAppointment(ctx, { patientId: p1!.id, serviceId: clinic.physioService.id, slotId: await slotAt('meera', '2027-03-08', '10:00') });
    const taken = await bookAppointment(ctx, { patientId: p2!.id, serviceId: clinic.speechService.id, slotId: await slotAt('priya', '2027-03-09', '10:00') });
    // Booked weeks ago, not a moment ago.
    await database.db
      .updateTable('appointments')
      .set({ created_at: sql<Date>`now() - interval '30 days'` })
      .where('id', '=', taken.id)
      .execute();
    toMove = (await bookAppointment(ctx, { patientId: p1!.id, serviceId: clinic.speechService.id, slotId: await slotAt('priya', '2027-03-02', '11:00') }))
      .appointmentNumber;
  });
  afterAll(() => database?.close());
  const speechServiceId = async () => (await database.db.selectFrom('services').select('id').where('code', '=', 'speech-therapy').executeTakeFirstOrThrow()).id;

  const expectRefusal = (result: { code: number; stderr: string }, c: Case) => {
    expect(result.stderr).toMatch(c.message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.code).toBe(exitCodes.get(c.reason));
  };

  it('the README gives every reason an exit code', () => {
    for (const c of CASES) expect(exitCodes.get(c.reason), c.reason).toBeDefined();
  });

  it.each(CASES)('book --at: $reason', async (c) => {
    const patient = c.patient ?? 'Patient 003';
    expectRefusal(await cli(['book', '--patient', patient, '--service', 'speech-therapy', '--therapist', 'priya', '--at', `${c.date} ${c.time}`]), c);
  });

  it.each(CASES.filter((c) => !c.noSlot))('book --slot: $reason', async (c) => {
    const patient = c.patient ?? 'Patient 003';
    const slot = await slotAt('priya', c.date, c.time);
    expectRefusal(await cli(['book', '--patient', patient, '--service', 'speech-therapy', '--slot', String(slot)]), c);
  });

  it.each(CASES.filter((c) => !c.noSlot))('reschedule --slot: $reason', async (c) => {
    const slot = await slotAt('priya', c.date, c.time);
    expectRefusal(await cli(['reschedule', toMove, '--slot', String(slot)]), c);
  });

  it.each(CASES)('a series of that one date: $reason', async (c) => {
    const weekday = new Date(`${c.date}T12:00:00Z`).toLocaleDateString('en-GB', { weekday: 'short', timeZone: 'UTC' }).toLowerCase();
    const patient = c.patient ?? 'Patient 003';
    const result = await cli([
      'book',
      '--patient',
      patient,
      '--service',
      'speech-therapy',
      '--therapist',
      'priya',
      '--repeat',
      weekday,
      '--at',
      c.time,
      '--weeks',
      '1',
      '--from',
      c.date,
    ]);
    expect(result.stderr).toContain(`None of the dates could be booked: ${c.date} (`);
    expectRefusal(result, c);
  });

  it('nothing refused was booked; the appointment to move did not move', async () => {
    const booked = await database.db.selectFrom('appointments').select('appointment_number').execute();
    expect(booked).toHaveLength(3);
    const moved = await cli(['appointments', 'show', toMove, '--json']);
    expect(JSON.parse(moved.stdout)).toMatchObject({ startsAt: zonedInstant('2027-03-02', '11:00', TZ).toISOString() });
  });

  it('a family moving their own appointment is held to the notice and the booking window, as a booking is', async () => {
    const clock = fixedClock(NOW);
    const system = systemContext(database.db, clock);
    const patient = await database.db.selectFrom('patients').select('id').where('full_name', '=', 'Patient 003').executeTakeFirstOrThrow();
    const mother = await addGuardian(system, { fullName: 'Kavita Rao', phone: '+919812345678' });
    await database.db
      .insertInto('patient_guardians')
      .values({ patient_id: patient.id, guardian_id: mother.id, relationship: 'mother', is_primary: true })
      .execute();
    const theirs = await bookAppointment(system, {
      patientId: patient.id,
      serviceId: await speechServiceId(),
      slotId: await slotAt('priya', '2027-03-02', '12:00'),
    });
    const asMother = { ...system, actor: { kind: 'guardian' as const, guardianId: mother.id } };
    for (const [time, reason] of [
      [['2027-03-01', '09:00'], 'min_notice'],
      [['2027-05-10', '10:00'], 'max_advance'],
    ] as const) {
      const move = rescheduleAppointment(asMother, { appointmentId: theirs.id, slotId: await slotAt('priya', time[0], time[1]) });
      await expect(move).rejects.toSatisfy((e) => isDomainError(e) && e.details?.reason === reason);
    }
    // --short-notice is the desk's: a family asking for it is still held to the notice.
    const sneaky = rescheduleAppointment(asMother, { appointmentId: theirs.id, slotId: await slotAt('priya', '2027-03-01', '09:00'), shortNotice: true });
    await expect(sneaky).rejects.toSatisfy((e) => isDomainError(e) && e.details?.reason === 'min_notice');
    await cancelAppointment(system, { appointmentId: theirs.id, reason: 'Moved to another day', clinicInitiated: true });
  });

  it('a desk booking inside the notice goes through with --short-notice; a partly booked series exits 11 and lists why', async () => {
    const short = await cli([
      'book',
      '--patient',
      'Patient 003',
      '--service',
      'speech-therapy',
      '--therapist',
      'priya',
      '--at',
      '2027-03-01 09:00',
      '--short-notice',
      '--json',
    ]);
    expect([short.code, short.stderr]).toEqual([0, '']);
    // Tuesdays from 2 March for ten weeks: the last ones are beyond the 60 days, their slots made meanwhile.
    const series = await cli([
      'book',
      '--patient',
      'Patient 002',
      '--service',
      'speech-therapy',
      '--therapist',
      'priya',
      '--repeat',
      'tue',
      '--at',
      '12:00',
      '--weeks',
      '10',
      '--from',
      '2027-03-02',
      '--json',
    ]);
    expect(series.code).toBe(11);
    const result = JSON.parse(series.stdout);
    expect(result.booked).toHaveLength(9);
    expect(result.notBooked).toEqual([{ date: '2027-05-04', reason: 'max_advance', message: expect.stringMatching(/more than 60 days ahead/) }]);
  });
});
