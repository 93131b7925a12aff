import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addHoliday } from '../../src/domain/scheduling/holidays.js';
import { addLeave } from '../../src/domain/scheduling/leave.js';
import { generateSlots } from '../../src/domain/scheduling/slots.js';
import { auditActions, bookAt, calendarState, day, openCalendarClinic, slotsOf, week, type CalendarClinic } from './calendar-clinic.js';

describe('clinic holidays', () => {
  // Each test opens a clinic of its own, with four weeks of slots from the first Monday.
  let clinic: CalendarClinic;
  const admin = 'anita.admin';
  beforeEach(async () => {
    clinic = await openCalendarClinic();
    await generateSlots(clinic.ctx, { from: week(0).monday, to: week(3).sunday });
  });
  afterEach(() => clinic?.close());

  /** The clinic closes for Holi on the first Thursday. */
  const closedForHoli = () => addHoliday(clinic.ctx, { date: day(week(0).monday, 4), name: 'Holi' });

  it("close the clinic for the day and block every therapist's open slots", async () => {
    const thursday = day(week(0).monday, 4);
    const { code, stdout } = await clinic.cli(['holiday', 'add', '--date', thursday, '--name', 'Holi'], admin);
    expect(code).toBe(0);
    expect(stdout).toContain(`Holiday added: Thu ${thursday}, Holi.`);
    expect(stdout).toContain('11 open slot(s) blocked.');
    const slots = [...(await slotsOf(clinic, clinic.priya, thursday)), ...(await slotsOf(clinic, clinic.arjun, thursday))];
    expect(slots.map((s) => `${s.status}:${s.blocked_reason}`)).toEqual(Array(11).fill('blocked:holiday'));
    expect((await auditActions(clinic, 'holiday.add')).at(-1)).toMatchObject({
      entity: 'clinic_holiday',
      entity_id: thursday,
      after: { date: thursday, slotsBlocked: 11 },
      meta: { forced: false, toReschedule: [] },
      actor_kind: 'staff',
    });
  });

  it('are refused while appointments fall on the day, naming them, and change nothing', async () => {
    const friday = day(week(0).monday, 5);
    const first = await bookAt(clinic, clinic.priya, friday, '14:00', 0);
    const second = await bookAt(clinic, clinic.arjun, friday, '10:00', 1);
    const before = await calendarState(clinic);
    const { code, stderr } = await clinic.cli(['holiday', 'add', '--date', friday, '--name', 'Good Friday'], admin);
    expect(code).toBe(4);
    expect(stderr).toContain(
      `2 appointment(s) fall on ${friday}: ${second.appointmentNumber} Fri, 7 Mar, 10:00; ${first.appointmentNumber} Fri, 7 Mar, 14:00 (times in IST).`,
    );
    expect(await calendarState(clinic)).toEqual(before);

    const forced = await clinic.cli(['holiday', 'add', '--date', friday, '--name', 'Good Friday', '--force', '--json'], admin);
    expect(forced.code).toBe(0);
    const result = JSON.parse(forced.stdout);
    expect(result).toMatchObject({ date: friday, name: 'Good Friday', slotsBlocked: 11 });
    expect(result.toReschedule.map((a: { appointmentNumber: string }) => a.appointmentNumber)).toEqual([second.appointmentNumber, first.appointmentNumber]);
  });

  it('are refused twice for the same day', async () => {
    await closedForHoli();
    const { code, stderr } = await clinic.cli(['holiday', 'add', '--date', day(week(0).monday, 4), '--name', 'Again'], admin);
    expect(code).toBe(4);
    expect(stderr).toContain('is already a holiday (Holi).');
  });

  it('are listed from today on, or for one year', async () => {
    await closedForHoli();
    await addHoliday(clinic.ctx, { date: day(week(0).monday, 5), name: 'Good Friday' });
    await clinic.cli(['holiday', 'add', '--date', '2032-01-26', '--name', 'Republic Day'], admin);
    const coming = JSON.parse((await clinic.cli(['holiday', 'list', '--json'])).stdout);
    expect(coming).toEqual([
      { date: '2031-03-06', name: 'Holi' },
      { date: '2031-03-07', name: 'Good Friday' },
      { date: '2032-01-26', name: 'Republic Day' },
    ]);
    const year = await clinic.cli(['holiday', 'list', '--year', '2032']);
    expect(year.stdout).toMatch(/Mon 2032-01-26\s+Republic Day/);
    expect(year.stdout).not.toContain('2031-03-06');
  });

  it('removed, reopen their slots, except where the therapist is on leave', async () => {
    const thursday = day(week(0).monday, 4);
    await closedForHoli();
    await addLeave(clinic.ctx, { therapistId: clinic.arjun, from: thursday, to: thursday });
    const { code, stdout } = await clinic.cli(['holiday', 'remove', thursday], admin);
    expect(code).toBe(0);
    expect(stdout).toContain(`Holiday removed: Thu ${thursday}, Holi.`);
    expect(stdout).toContain('8 slot(s) reopened.');
    expect((await slotsOf(clinic, clinic.priya, thursday)).every((s) => s.status === 'open')).toBe(true);
    expect((await slotsOf(clinic, clinic.arjun, thursday)).map((s) => s.blocked_reason)).toEqual(['leave', 'leave', 'leave']);
    expect((await auditActions(clinic, 'holiday.remove')).at(-1)).toMatchObject({ entity_id: thursday, after: { slotsReopened: 8 } });
  });

  it.each([
    [['add', '--date', '2031-13-01', '--name', 'Bad'], admin, 2, '--date: "2031-13-01" is not a real date'],
    [['add', '--name', 'Diwali'], admin, 2, '--date is required'],
    [['add', '--date', '2031-11-01'], admin, 2, '--name is required'],
    [
      ['add', '--date', '2031-11-01', '--name', 'Diwali'],
      'farhan.desk',
      5,
      "A receptionist may not change the clinic's settings (clinic.configure: admin only).",
    ],
    [['remove', '2031-11-02'], admin, 3, '2031-11-02 is not a clinic holiday.'],
  ])('refuse holiday %j as %s with a clear message (exit %i) and change nothing', async (args, user, exitCode, message) => {
    const before = await calendarState(clinic);
    const { code, stderr } = await clinic.cli(['holiday', ...args], user);
    expect(code).toBe(exitCode);
    expect(stderr).toContain(message);
    expect(await calendarState(clinic)).toEqual(before);
  });
});
