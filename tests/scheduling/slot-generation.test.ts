import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainContext } from '../../src/domain/context.js';
import { addHoliday } from '../../src/domain/scheduling/holidays.js';
import { addLeave } from '../../src/domain/scheduling/leave.js';
import { generateSlots } from '../../src/domain/scheduling/slots.js';
import { clinicTime, isoWeekdayOf, clinicDate } from '../../src/domain/time.js';
import { openPostgres, type Database } from '../../src/infra/db/database.js';
import { auditActions, bookAt, calendarState, day, openCalendarClinic, slotsOf, SLOTS_PER_WEEK, week, type CalendarClinic } from './calendar-clinic.js';

const perWeek = SLOTS_PER_WEEK.priya + SLOTS_PER_WEEK.arjun;

/** A slot as the clinic sees it: whose, which weekday, what time, how long and for how many. */
const shape = (s: { therapist_id: number; starts_at: Date; ends_at: Date; max_bookings: number }) =>
  `${s.therapist_id} ${isoWeekdayOf(clinicDate(s.starts_at, 'Asia/Kolkata'))} ${clinicTime(s.starts_at, 'Asia/Kolkata')}-${clinicTime(s.ends_at, 'Asia/Kolkata')} x${s.max_bookings}`;

describe('generating slots from working hours', () => {
  let clinic: CalendarClinic;
  beforeAll(async () => {
    clinic = await openCalendarClinic();
    // The first week's slots, which the tests below read and compare with; each test that generates takes a week of its own.
    await generateSlots(clinic.ctx, { from: week(0).monday, to: week(0).sunday });
  });
  afterAll(() => clinic?.close());

  it("makes the week's slots once; a second run creates none and changes nothing", async () => {
    const { monday, sunday } = week(1);
    const first = await clinic.cli(['slots', 'generate', '--from', monday, '--to', sunday, '--json']);
    expect(first.stderr).not.toContain('roshni:');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ created: perWeek, skipped: 0, minutes: 45, bufferMinutes: 15, capacity: 1 });
    const slots = [...(await slotsOf(clinic, clinic.priya, monday, sunday)), ...(await slotsOf(clinic, clinic.arjun, monday, sunday))];
    expect(slots).toHaveLength(perWeek);

    const before = await calendarState(clinic);
    const second = await clinic.cli(['slots', 'generate', '--from', monday, '--to', sunday]);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain(`Created 0 slot(s); skipped ${perWeek} where slots already exist.`);
    const after = await calendarState(clinic);
    expect(after.slots).toEqual(before.slots);
    const thisWeeks = (await auditActions(clinic, 'slots.generate')).filter((a) => (a.after as { from?: string }).from === monday);
    expect(thisWeeks.map((a) => a.after)).toEqual([
      expect.objectContaining({ from: monday, to: sunday, created: perWeek, skipped: 0 }),
      expect.objectContaining({ created: 0, skipped: perWeek }),
    ]);
  });

  it("keeps breaks and working hours: Priya's Monday is 09:00–12:45 and 14:00–17:45", async () => {
    const monday = week(0).monday;
    const times = (await slotsOf(clinic, clinic.priya, monday)).map((s) => clinicTime(s.starts_at, 'Asia/Kolkata'));
    expect(times).toEqual(['09:00', '10:00', '11:00', '12:00', '14:00', '15:00', '16:00', '17:00']);
    expect(await slotsOf(clinic, clinic.priya, day(monday, 7))).toEqual([]);
  });

  it('stores clinic times as instants: 09:00 in Asia/Kolkata is 03:30 UTC, for the slot and the booking', async () => {
    const monday = week(0).monday;
    const [nine] = await slotsOf(clinic, clinic.priya, monday);
    expect(nine!.starts_at.toISOString()).toBe(`${monday}T03:30:00.000Z`);
    expect(nine!.ends_at.toISOString()).toBe(`${monday}T04:15:00.000Z`);
    const booking = await bookAt(clinic, clinic.priya, monday, '09:00');
    expect(booking.startsAt.toISOString()).toBe(`${monday}T03:30:00.000Z`);

    const listed = await clinic.cli(['slots', 'list', '--date', monday, '--therapist', 'priya']);
    expect(listed.stdout).toMatch(new RegExp(`^\\s+${nine!.id}\\s+09:00–09:45\\s+1/1\\s+open`, 'm'));
    const json = JSON.parse((await clinic.cli(['slots', 'list', '--date', monday, '--therapist', 'priya', '--json'])).stdout);
    expect(json.slots[0]).toMatchObject({ localStart: '09:00', startsAt: `${monday}T03:30:00.000Z`, booked: 1, capacity: 1 });
  });

  it('gives two generations at once on separate connections the same slots as one', async () => {
    const { monday } = week(2);
    const sunday = day(week(6).monday, 7); // five weeks: more than one step each
    const connections: Database[] = [await openPostgres(clinic.database.url), await openPostgres(clinic.database.url)];
    try {
      const contexts: DomainContext[] = connections.map((c) => ({ ...clinic.ctx, db: c.db }));
      const results = await Promise.all(contexts.map((ctx) => generateSlots(ctx, { from: monday, to: sunday })));
      expect(results[0]!.created + results[1]!.created).toBe(5 * perWeek);
      expect(results.map((r) => r.created + r.skipped)).toEqual([5 * perWeek, 5 * perWeek]);
    } finally {
      await Promise.all(connections.map((c) => c.close()));
    }
    const once = [
      ...(await slotsOf(clinic, clinic.priya, week(0).monday, week(0).sunday)),
      ...(await slotsOf(clinic, clinic.arjun, week(0).monday, week(0).sunday)),
    ];
    for (let n = 2; n <= 6; n++) {
      const { monday: m, sunday: s } = week(n);
      const raced = [...(await slotsOf(clinic, clinic.priya, m, s)), ...(await slotsOf(clinic, clinic.arjun, m, s))];
      expect(raced.map(shape)).toEqual(once.map(shape));
    }
  });

  it('leaves out clinic holidays and therapist leave', async () => {
    const { monday, sunday } = week(8);
    await addHoliday(clinic.ctx, { date: day(monday, 3), name: 'Holi' });
    await addLeave(clinic.ctx, { therapistId: clinic.arjun, from: day(monday, 4), to: day(monday, 5), reason: 'conference' });
    const { created } = await generateSlots(clinic.ctx, { from: monday, to: sunday });
    expect(created).toBe(perWeek - 8 - 3 - 2 * 3);
    expect(await slotsOf(clinic, clinic.priya, day(monday, 3))).toEqual([]);
    expect(await slotsOf(clinic, clinic.arjun, day(monday, 3), day(monday, 5))).toEqual([]);
    expect(await slotsOf(clinic, clinic.priya, day(monday, 4))).toHaveLength(8);
  });

  it('never deletes or moves a booked slot when regenerated with other lengths', async () => {
    // Within the clinic's 60 days of booking ahead.
    const { monday, sunday } = week(7);
    await generateSlots(clinic.ctx, { from: monday, to: sunday });
    const booking = await bookAt(clinic, clinic.priya, day(monday, 2), '10:00', 1);
    const before = await slotsOf(clinic, clinic.priya, monday, sunday);
    const again = await clinic.cli(['slots', 'generate', '--from', monday, '--to', sunday, '--minutes', '30', '--buffer', '0', '--json']);
    expect(again.code).toBe(0);
    const after = await slotsOf(clinic, clinic.priya, monday, sunday);
    expect(after.filter((s) => before.some((b) => b.id === s.id))).toEqual(before);
    const appointment = await clinic.database.db.selectFrom('appointments').selectAll().where('id', '=', booking.id).executeTakeFirstOrThrow();
    expect(appointment).toMatchObject({ slot_id: booking.slotId, status: 'scheduled', starts_at: booking.startsAt });
  });

  it('makes group slots from a service: its length and max_bookings, only for therapists who offer it', async () => {
    const { monday } = week(10);
    const result = await clinic.cli(['slots', 'generate', '--from', monday, '--to', monday, '--service', 'group-social-skills', '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ created: 8, capacity: 4, minutes: 45 });
    const group = await slotsOf(clinic, clinic.priya, monday);
    expect(group.every((s) => s.max_bookings === 4 && s.service_id !== null)).toBe(true);
    expect(await slotsOf(clinic, clinic.arjun, monday)).toEqual([]);

    const refused = await clinic.cli(['slots', 'generate', '--from', monday, '--to', monday, '--service', 'group-social-skills', '--therapist', 'arjun']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('Arjun Mehta does not offer Group social skills session.');
  });

  it('shows progress on stderr for long ranges, and keeps stdout for the summary', async () => {
    const { monday } = week(12);
    const result = await clinic.cli(['slots', 'generate', '--from', monday, '--to', day(week(20).monday, 7), '--therapist', 'arjun']);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('Generating slots from');
    expect(result.stderr).toContain('28 of 63 days done');
    expect(result.stdout.trim().split('\n')[0]).toBe(`Created ${9 * SLOTS_PER_WEEK.arjun} slot(s); skipped 0 where slots already exist.`);
  });

  it.each([
    [['--from', '2031-06-10', '--to', '2031-06-01'], 2, 'to: must not be before from'],
    [['--from', '2031-02-30', '--to', '2031-03-01'], 2, '--from: "2031-02-30" is not a real date'],
    [['--from', '01-03-2031', '--to', '2031-03-01'], 2, '--from: "01-03-2031" must be a date as YYYY-MM-DD'],
    [['--from', '2031-06-01', '--to', '2032-06-30'], 2, 'to: may cover at most 366 days'],
    [['--to', '2031-06-01'], 2, '--from is required'],
    [['--from', '2031-06-01', '--to', '2031-06-07', '--therapist', 'Nobody'], 3, 'No therapist matches "Nobody"'],
    [['--from', '2031-06-01', '--to', '2031-06-07', '--service', 'yoga'], 3, 'No service with code yoga'],
    [['--from', '2031-06-01', '--to', '2031-06-07', '--minutes', 'ten'], 2, 'must be a positive whole number'],
  ])('refuses %j with a clear message (exit %i) and creates nothing', async (flags, exitCode, message) => {
    const before = await calendarState(clinic);
    const { code, stderr, stdout } = await clinic.cli(['slots', 'generate', ...flags]);
    expect(code).toBe(exitCode);
    expect(stdout).toBe('');
    expect(stderr).toContain(message);
    expect(await calendarState(clinic)).toEqual(before);
  });
});
