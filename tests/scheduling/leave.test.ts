import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bookAppointment } from '../../src/domain/scheduling/book-appointment.js';
import { addHoliday } from '../../src/domain/scheduling/holidays.js';
import { addLeave } from '../../src/domain/scheduling/leave.js';
import { generateSlots } from '../../src/domain/scheduling/slots.js';
import { isDomainError } from '../../src/domain/errors.js';
import { auditActions, bookAt, calendarState, day, openCalendarClinic, slotsOf, week, type CalendarClinic } from './calendar-clinic.js';

describe('therapist leave', () => {
  // Each test opens a clinic of its own, with six weeks of slots from the first Monday.
  let clinic: CalendarClinic;
  beforeEach(async () => {
    clinic = await openCalendarClinic();
    await generateSlots(clinic.ctx, { from: week(0).monday, to: week(5).sunday });
  });
  afterEach(() => clinic?.close());

  /** Aarav is booked with Priya on the first Tuesday at 10:00. */
  const aaravBookedWithPriya = () => bookAt(clinic, clinic.priya, day(week(0).monday, 2), '10:00');
  /** Priya is away at a conference on the first Tuesday and Wednesday. */
  const priyaAtAConference = () =>
    addLeave(clinic.ctx, { therapistId: clinic.priya, from: day(week(0).monday, 2), to: day(week(0).monday, 3), reason: 'conference', force: true });
  /** Arjun is away from the second Thursday to Saturday. */
  const arjunAwayThursdayToSaturday = () =>
    addLeave(clinic.ctx, { therapistId: clinic.arjun, from: day(week(1).monday, 4), to: day(week(1).monday, 6), force: true });

  it('is refused while it overlaps a booking, naming the appointment and its time in IST, and changes nothing', async () => {
    const { monday } = week(0);
    const tuesday = day(monday, 2);
    const booking = await bookAt(clinic, clinic.priya, tuesday, '10:00');
    const before = await calendarState(clinic);
    const { code, stdout, stderr } = await clinic.cli(['leave', 'add', 'priya', '--from', tuesday, '--to', day(monday, 3)]);
    expect(code).toBe(4);
    expect(stdout).toBe('');
    expect(stderr).toContain(`Dr. Priya Sharma has 1 appointment(s) during that leave: ${booking.appointmentNumber} Tue, 4 Mar, 10:00 (times in IST).`);
    expect(stderr).toContain('--force');
    expect(await calendarState(clinic)).toEqual(before);
  });

  it('with --force is recorded, blocks the slots and lists the appointments to reschedule, still booked', async () => {
    await aaravBookedWithPriya();
    const { monday } = week(0);
    const [tuesday, wednesday] = [day(monday, 2), day(monday, 3)];
    const { code, stdout } = await clinic.cli(['leave', 'add', 'Priya', '--from', tuesday, '--to', wednesday, '--reason', 'conference', '--force', '--json']);
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result.leave).toMatchObject({ therapist: { id: clinic.priya, name: 'Dr. Priya Sharma' }, from: tuesday, to: wednesday, reason: 'conference' });
    expect(result.slotsBlocked).toBe(16);
    expect(result.toReschedule).toEqual([
      expect.objectContaining({ localDate: tuesday, localStart: '10:00', status: 'scheduled', patient: expect.objectContaining({ name: 'Aarav Gupta' }) }),
    ]);
    const slots = await slotsOf(clinic, clinic.priya, tuesday, wednesday);
    expect(slots.map((s) => `${s.status}:${s.blocked_reason}`)).toEqual(Array(16).fill('blocked:leave'));
    expect(await slotsOf(clinic, clinic.priya, monday)).toSatisfy((open: Array<{ status: string }>) => open.every((s) => s.status === 'open'));
    const appointment = await clinic.database.db
      .selectFrom('appointments')
      .select('status')
      .where('id', '=', result.toReschedule[0].id)
      .executeTakeFirstOrThrow();
    expect(appointment.status).toBe('scheduled');

    const [audit] = await auditActions(clinic, 'leave.add');
    expect(audit).toMatchObject({ entity: 'therapist_leave', entity_id: String(result.leave.id) });
    expect(audit!.after).toEqual({ therapistId: clinic.priya, from: tuesday, to: wednesday, slotsBlocked: 16 });
    expect(audit!.meta).toEqual({ forced: true, toReschedule: [result.toReschedule[0].id] });
    expect(JSON.stringify(audit)).not.toMatch(/Priya|Aarav|conference/);
  });

  it('prints the appointments to reschedule for people', async () => {
    const { monday } = week(1);
    const booking = await bookAt(clinic, clinic.arjun, day(monday, 5), '11:00', 2);
    const { code, stdout } = await clinic.cli(['leave', 'add', 'arjun', '--from', day(monday, 4), '--to', day(monday, 6), '--force']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Leave \d+ recorded: Arjun Mehta, 2031-03-13 to 2031-03-15\.$/m);
    expect(stdout).toContain('9 open slot(s) blocked.');
    expect(stdout).toContain('To reschedule (1), still booked:');
    expect(stdout).toMatch(new RegExp(`${booking.appointmentNumber}\\s+2031-03-14\\s+11:00–11:45\\s+Kavya Nair\\s+Arjun Mehta`));
  });

  it('keeps blocked slots from being booked', async () => {
    await arjunAwayThursdayToSaturday();
    const [slot] = await slotsOf(clinic, clinic.arjun, day(week(1).monday, 4));
    const attempt = bookAppointment(clinic.ctx, {
      patientId: clinic.patients[3]!,
      slotId: slot!.id,
      serviceId: await clinic.serviceId('occupational-therapy'),
    });
    await expect(attempt).rejects.toSatisfy((e) => isDomainError(e) && e.kind === 'conflict' && e.message === 'Arjun Mehta is on leave on Thu, 13 Mar.');
  });

  it('without bookings is simply recorded, for one day when --to is left out', async () => {
    const monday = week(2).monday;
    const { code, stdout } = await clinic.cli(['leave', 'add', String(clinic.arjun), '--from', monday, '--json']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ leave: { from: monday, to: monday }, slotsBlocked: 3, toReschedule: [] });
  });

  it('refuses leave that overlaps leave already recorded', async () => {
    await arjunAwayThursdayToSaturday();
    const { code, stderr } = await clinic.cli(['leave', 'add', 'arjun', '--from', day(week(1).monday, 6), '--to', day(week(1).monday, 8)]);
    expect(code).toBe(4);
    expect(stderr).toMatch(/Arjun Mehta is already on leave from 2031-03-13 to 2031-03-15 \(leave \d+\)\./);
  });

  it('lists current and coming leave, per therapist', async () => {
    await priyaAtAConference();
    await arjunAwayThursdayToSaturday();
    await addLeave(clinic.ctx, { therapistId: clinic.arjun, from: week(2).monday, to: week(2).monday });
    const all = JSON.parse((await clinic.cli(['leave', 'list', '--json'])).stdout);
    expect(all.map((l: { therapist: { name: string }; from: string }) => `${l.therapist.name} ${l.from}`)).toEqual([
      'Dr. Priya Sharma 2031-03-04',
      'Arjun Mehta 2031-03-13',
      'Arjun Mehta 2031-03-17',
    ]);
    const arjun = await clinic.cli(['leave', 'list', '--therapist', 'arjun.ot']);
    expect(arjun.stdout).toMatch(/Id\s+Therapist\s+From\s+To\s+Reason/);
    expect(arjun.stdout).not.toContain('Priya');
  });

  it('removed, reopens its slots except on a clinic holiday', async () => {
    const { monday } = week(0);
    const [tuesday, wednesday] = [day(monday, 2), day(monday, 3)];
    await priyaAtAConference();
    await addHoliday(clinic.ctx, { date: wednesday, name: 'Holi', force: true });
    const [leave] = JSON.parse((await clinic.cli(['leave', 'list', '--therapist', 'priya', '--json'])).stdout);
    const { code, stdout } = await clinic.cli(['leave', 'remove', String(leave.id)]);
    expect(code).toBe(0);
    expect(stdout).toContain(`Leave ${leave.id} removed: Dr. Priya Sharma, ${tuesday} to ${wednesday}.`);
    expect(stdout).toContain('8 slot(s) reopened.');
    expect((await slotsOf(clinic, clinic.priya, tuesday)).every((s) => s.status === 'open' && s.blocked_reason === null)).toBe(true);
    expect((await slotsOf(clinic, clinic.priya, wednesday)).map((s) => s.blocked_reason)).toEqual(Array(8).fill('holiday'));
    expect((await auditActions(clinic, 'leave.remove')).at(-1)).toMatchObject({ entity_id: String(leave.id), after: { slotsReopened: 8 } });

    const again = await clinic.cli(['leave', 'remove', String(leave.id)]);
    expect(again.code).toBe(3);
    expect(again.stderr).toContain(`No leave with id ${leave.id}.`);
  });

  it('may be recorded by the desk but not by a therapist', async () => {
    const monday = week(4).monday;
    expect((await clinic.cli(['leave', 'add', 'arjun', '--from', monday], 'farhan.desk')).code).toBe(0);
    const therapist = await clinic.cli(['leave', 'add', 'priya', '--from', monday], 'priya.slp');
    expect(therapist.code).toBe(5);
    expect(therapist.stderr).toContain('A therapist may not change the schedule (schedule.manage: admin or receptionist only).');
  });

  it.each([
    [['priya', '--from', '2031-04-10', '--to', '2031-04-01'], 2, 'to: must not be before from'],
    [['priya', '--from', '10-04-2031'], 2, '--from: "10-04-2031" must be a date as YYYY-MM-DD'],
    [['priya', '--to', '2031-04-01'], 2, '--from is required'],
    [['--from', '2031-04-01'], 2, '<therapist> is required'],
    [['Nobody', '--from', '2031-04-01'], 3, 'No therapist matches "Nobody"'],
  ])('refuses leave add %j with a clear message (exit %i) and changes nothing', async (args, exitCode, message) => {
    const before = await calendarState(clinic);
    const { code, stderr } = await clinic.cli(['leave', 'add', ...args]);
    expect(code).toBe(exitCode);
    expect(stderr).toContain(message);
    expect(await calendarState(clinic)).toEqual(before);
  });
});
