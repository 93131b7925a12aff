import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseWeeklyHours } from '../../src/domain/scheduling/working-hours.js';
import { auditActions, calendarState, openCalendarClinic, type CalendarClinic } from './calendar-clinic.js';

describe('weekly working hours', () => {
  let clinic: CalendarClinic;
  beforeAll(async () => {
    clinic = await openCalendarClinic();
  });
  afterAll(() => clinic?.close());

  const hoursOf = (therapistId: number) =>
    clinic.database.db
      .selectFrom('working_hours')
      .select(['weekday', 'start_time', 'end_time'])
      .where('therapist_id', '=', therapistId)
      .orderBy('weekday')
      .orderBy('start_time')
      .execute();

  it('are replaced with blocks per day; a break is the gap between two blocks', async () => {
    const { code, stdout } = await clinic.cli(
      ['hours', 'set', 'arjun', '--hours', 'mon-fri 09:00-13:00', '--hours', 'mon-fri 14:00-18:00', '--hours', 'sat 09:00-13:00', '--json'],
      'farhan.desk',
    );
    expect(code).toBe(0);
    const { therapist, blocks } = JSON.parse(stdout);
    expect(therapist).toMatchObject({ id: clinic.arjun, name: 'Arjun Mehta' });
    expect(blocks).toHaveLength(11);
    const rows = await hoursOf(clinic.arjun);
    expect(rows.filter((r) => r.weekday === 1)).toEqual([
      { weekday: 1, start_time: '09:00:00', end_time: '13:00:00' },
      { weekday: 1, start_time: '14:00:00', end_time: '18:00:00' },
    ]);
    expect(rows.filter((r) => r.weekday === 7)).toEqual([]);
    const audit = (await auditActions(clinic, 'working_hours.set')).at(-1);
    // Arjun had six blocks before: "mon-sat 10:00-13:00".
    expect(audit).toMatchObject({ entity: 'therapist', entity_id: String(clinic.arjun), actor_kind: 'staff', before: { blocks: 6 } });
  });

  it('show as a week grid, with the lunch break as a gap and Sunday off', async () => {
    // Priya works Mon–Fri 09:00–13:00 and 14:00–18:00, and Saturday mornings.
    const { code, stdout } = await clinic.cli(['hours', 'show', 'Priya']);
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    expect(lines[0]).toBe(`Dr. Priya Sharma (id ${clinic.priya})`);
    expect(lines[1]).toMatch(/^\s+08\s+09\s+10\s+11\s+12\s+13\s+14\s+15\s+16\s+17\s+$/);
    // A character per quarter hour from 08:00 to 18:00.
    expect(lines[2]).toBe(`Mon  ${'·'.repeat(4)}${'█'.repeat(16)}${'·'.repeat(4)}${'█'.repeat(16)}  09:00–13:00, 14:00–18:00`);
    expect(lines[7]).toBe(`Sat  ${'·'.repeat(4)}${'█'.repeat(16)}${'·'.repeat(20)}  09:00–13:00`);
    expect(lines[8]).toBe(`Sun  ${'·'.repeat(40)}  off`);
  });

  it('show every active therapist as data with --json', async () => {
    const weeks = JSON.parse((await clinic.cli(['hours', 'show', '--json'])).stdout);
    expect(weeks.map((w: { therapist: { name: string } }) => w.therapist.name)).toEqual(['Arjun Mehta', 'Dr. Priya Sharma']);
    expect(weeks[1].blocks[0]).toEqual({ weekday: 1, start: '09:00', end: '13:00' });
  });

  it('understand day lists and spaces', () => {
    expect(parseWeeklyHours('mon,wed,fri 16:00-19:00').map((b) => b.weekday)).toEqual([1, 3, 5]);
    expect(parseWeeklyHours('Mon - Wed, sat 09:30 - 12:00')).toEqual([1, 2, 3, 6].map((weekday) => ({ weekday, start: '09:30', end: '12:00' })));
  });

  it.each([
    [['arjun', '--hours', 'mon-fri 9-13'], 2, '"mon-fri 9-13" is not working hours; write e.g. "mon-fri 09:00-13:00".'],
    [['arjun', '--hours', 'fri-mon 09:00-13:00'], 2, 'unknown or reversed day range'],
    [['arjun', '--hours', 'mon 13:00-09:00'], 2, 'the end must be after the start'],
    [['arjun', '--hours', 'mon 09:00-24:30'], 2, '24:30 is not a time'],
    [['arjun', '--hours', 'mon-fri 09:00-13:00', '--hours', 'mon 12:00-14:00'], 2, 'Working hours overlap on Mon: 09:00-13:00 and 12:00-14:00.'],
    [['arjun'], 2, '--hours is required'],
    [['--hours', 'mon 09:00-13:00'], 2, '<therapist> is required'],
    [['Nobody', '--hours', 'mon 09:00-13:00'], 3, 'No therapist matches "Nobody"'],
    [['a', '--hours', 'mon 09:00-13:00'], 2, 'matches several therapists'],
  ])('refuse hours set %j with a clear message (exit %i) and change nothing', async (args, exitCode, message) => {
    const before = await calendarState(clinic);
    const { code, stdout, stderr } = await clinic.cli(['hours', 'set', ...args]);
    expect(code).toBe(exitCode);
    expect(stdout).toBe('');
    expect(stderr).toContain(message);
    expect(await calendarState(clinic)).toEqual(before);
  });

  it('may not be changed by a therapist', async () => {
    const { code, stderr } = await clinic.cli(['hours', 'set', 'priya', '--hours', 'mon 09:00-10:00'], 'priya.slp');
    expect(code).toBe(5);
    expect(stderr).toContain('A therapist may not change the schedule (schedule.manage: admin or receptionist only).');
  });
});
