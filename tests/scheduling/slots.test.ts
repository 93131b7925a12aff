import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bookAppointment } from '../../src/domain/scheduling/book-appointment.js';
import { isDomainError } from '../../src/domain/errors.js';
import { addLeave } from '../../src/domain/scheduling/leave.js';
import { generateSlots } from '../../src/domain/scheduling/slots.js';
import { auditActions, bookAt, calendarState, day, openCalendarClinic, slotsOf, SLOTS_PER_WEEK, week, type CalendarClinic } from './calendar-clinic.js';

describe('listing, blocking and unblocking slots', () => {
  let clinic: CalendarClinic;
  const { monday, sunday } = week(0);
  const tuesday = day(monday, 2);
  beforeAll(async () => {
    clinic = await openCalendarClinic();
    // Priya runs group sessions on the first Tuesday; her other days get ordinary slots.
    await generateSlots(clinic.ctx, { from: tuesday, to: tuesday, serviceCode: 'group-social-skills', therapistId: clinic.priya });
    await generateSlots(clinic.ctx, { from: monday, to: week(1).sunday });
  });
  afterAll(() => clinic?.close());

  it('lists a day per therapist, with bookings against capacity and status', async () => {
    await bookAt(clinic, clinic.priya, monday, '10:00');
    const { code, stdout } = await clinic.cli(['slots', 'list', '--date', monday]);
    expect(code).toBe(0);
    expect(stdout).toContain(`Slots, ${monday} (Asia/Kolkata)`);
    const lines = stdout.split('\n');
    const [arjunAt, priyaAt] = [lines.indexOf('Arjun Mehta'), lines.indexOf('Dr. Priya Sharma')];
    expect(arjunAt).toBeGreaterThan(0);
    expect(priyaAt).toBeGreaterThan(arjunAt);
    expect(lines[priyaAt + 1]).toBe(`  Mon ${monday}`);
    expect(stdout).toMatch(/^\s+\d+\s+10:00–10:45\s+1\/1\s+open\s*$/m);
    expect(stdout).toMatch(/^\s+\d+\s+17:00–17:45\s+0\/1\s+open\s*$/m);
  });

  it('lists a Monday-to-Sunday week as data with --json, and only bookable slots with --free', async () => {
    const weekJson = JSON.parse((await clinic.cli(['slots', 'list', '--week', day(monday, 4), '--json'])).stdout);
    expect(weekJson).toMatchObject({ from: monday, to: sunday, timezone: 'Asia/Kolkata' });
    expect(weekJson.slots).toHaveLength(SLOTS_PER_WEEK.priya + SLOTS_PER_WEEK.arjun);
    expect(weekJson.slots.filter((s: { service: string | null; capacity: number }) => s.service === 'group-social-skills' && s.capacity === 4)).toHaveLength(8);

    const thursday = day(monday, 4);
    await bookAt(clinic, clinic.priya, thursday, '10:00', 1);
    const free = JSON.parse((await clinic.cli(['slots', 'list', '--date', thursday, '--therapist', 'priya', '--free', '--json'])).stdout);
    expect(free.slots.map((s: { localStart: string }) => s.localStart)).toEqual(['09:00', '11:00', '12:00', '14:00', '15:00', '16:00', '17:00']);
  });

  it('shows group slots with their service and places', async () => {
    const { stdout } = await clinic.cli(['slots', 'list', '--date', tuesday, '--therapist', 'Priya']);
    expect(stdout).toMatch(/Slot\s+Time\s+Booked\s+Service\s+Status/);
    expect(stdout).toMatch(/^\s+\d+\s+09:00–09:45\s+0\/4\s+group-social-skills\s+open/m);
    expect((await slotsOf(clinic, clinic.priya, tuesday)).map((s) => s.max_bookings)).toEqual(Array(8).fill(4));
  });

  it('blocks a free slot so it cannot be booked, and unblocks it', async () => {
    const [slot] = await slotsOf(clinic, clinic.arjun, tuesday);
    const blocked = await clinic.cli(['slots', 'block', String(slot!.id), '--reason', 'team meeting']);
    expect(blocked.code).toBe(0);
    expect(blocked.stdout.trim()).toBe(`Slot ${slot!.id} (${tuesday} 10:00) blocked: team meeting.`);
    const listed = await clinic.cli(['slots', 'list', '--date', tuesday, '--therapist', 'arjun']);
    expect(listed.stdout).toMatch(new RegExp(`^\\s+${slot!.id}\\s+10:00–10:45\\s+0/1\\s+blocked: team meeting`, 'm'));
    const booking = bookAppointment(clinic.ctx, {
      patientId: clinic.patients[1]!,
      slotId: slot!.id,
      serviceId: await clinic.serviceId('occupational-therapy'),
    });
    await expect(booking).rejects.toSatisfy((e) => isDomainError(e) && e.kind === 'conflict');

    const opened = await clinic.cli(['slots', 'unblock', String(slot!.id), '--json']);
    expect(opened.code).toBe(0);
    expect(JSON.parse(opened.stdout)).toEqual({ id: slot!.id, status: 'open' });
    expect((await auditActions(clinic, 'slot.')).map((a) => [a.action, a.entity_id, a.after])).toEqual([
      ['slot.block', String(slot!.id), { status: 'blocked' }],
      ['slot.unblock', String(slot!.id), { status: 'open' }],
    ]);
  });

  it('refuses to block a booked slot, naming the booking, and changes nothing', async () => {
    const booking = await bookAt(clinic, clinic.arjun, tuesday, '11:00', 2);
    const before = await calendarState(clinic);
    const { code, stderr } = await clinic.cli(['slots', 'block', String(booking.slotId), '--reason', 'team meeting']);
    expect(code).toBe(4);
    expect(stderr).toContain(
      `Slot ${booking.slotId} (Tue, 4 Mar, 11:00 with Arjun Mehta) is booked (${booking.appointmentNumber}); reschedule or cancel first.`,
    );
    expect(await calendarState(clinic)).toEqual(before);
  });

  it('keeps a slot blocked for leave until the leave is removed', async () => {
    const wednesday = day(week(1).monday, 3);
    const { leave } = await addLeave(clinic.ctx, { therapistId: clinic.arjun, from: wednesday, to: wednesday });
    const [slot] = await slotsOf(clinic, clinic.arjun, wednesday);
    const { code, stderr } = await clinic.cli(['slots', 'unblock', String(slot!.id)]);
    expect(code).toBe(4);
    expect(stderr).toContain(`stays blocked: the therapist is on leave ${wednesday} to ${wednesday}; remove leave ${leave.id} to reopen it.`);
  });

  it.each([
    [['block', '999999', '--reason', 'meeting'], 3, 'No slot with id 999999.'],
    [['block', 'ten', '--reason', 'meeting'], 2, 'must be a positive whole number'],
    [['block', 'SLOT'], 2, '--reason is required'],
    [['block', 'SLOT', '--reason', 'Leave'], 2, 'reason: is kept for days off'],
    [['unblock', 'SLOT'], 4, 'is not blocked.'],
    [['list', '--date', monday, '--week', monday], 2, 'Give --date or --week, not both.'],
    [['list', '--week', '3 March'], 2, '--week: "3 March" must be a date as YYYY-MM-DD'],
    [['list', '--therapist', 'Nobody'], 3, 'No therapist matches "Nobody"'],
  ])('refuses slots %j with a clear message (exit %i) and changes nothing', async (args, exitCode, message) => {
    const [free] = await slotsOf(clinic, clinic.priya, day(week(1).monday, 5));
    const argv = args.map((a) => (a === 'SLOT' ? String(free!.id) : a));
    const before = await calendarState(clinic);
    const { code, stderr } = await clinic.cli(['slots', ...argv]);
    expect(code).toBe(exitCode);
    expect(stderr).toContain(message);
    expect(await calendarState(clinic)).toEqual(before);
  });

  it('may be read by a therapist but not blocked by one', async () => {
    expect((await clinic.cli(['slots', 'list', '--date', monday], 'priya.slp')).code).toBe(0);
    const [slot] = await slotsOf(clinic, clinic.priya, day(week(1).monday, 5));
    const refused = await clinic.cli(['slots', 'block', String(slot!.id), '--reason', 'meeting'], 'priya.slp');
    expect(refused.code).toBe(5);
  });
});
