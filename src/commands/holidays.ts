import type { Command } from 'commander';
import { forceIfConfirmed, forcedDayOffLines, offerToFamilies, toRescheduleJson, toRescheduleLines } from '../cli/calendar-input.js';
import { requireFlag } from '../cli/prompts.js';
import type { RunCommand } from '../cli/command-groups.js';
import { bold, emit, tableOr } from '../cli/output.js';
import { dateValue, positiveInt } from '../cli/options.js';
import { sessionAction } from '../cli/session.js';
import { addHoliday, listHolidays, removeHoliday } from '../domain/scheduling/holidays.js';
import { weekdayName } from '../domain/scheduling/working-hours.js';
import { isoDate, isoWeekdayOf } from '../domain/time.js';

const dayLabel = (date: string) => `${weekdayName(isoWeekdayOf(date))} ${date}`;

export function register(program: Command, run: RunCommand): void {
  const holiday = program.command('holiday').description('Clinic holidays: days the whole clinic is closed');

  holiday
    .command('add')
    .description('Close the clinic for a day and block its open slots (refused while appointments fall on it, unless --force)')
    .option('--date <date>', 'the day, YYYY-MM-DD', dateValue)
    .option('--name <name>', 'e.g. "Diwali"')
    .option('--force', 'declare it even though appointments fall on it, and list them for rescheduling')
    .option('--notify-families', 'with --force: message their families through the outbox, offering to reschedule or cancel')
    .option('--no-notify-families', 'with --force: do not message the families, and do not ask')
    .action(
      sessionAction(run, async ({ ctx, env }, flags: { date?: string; name?: string; force?: boolean; notifyFamilies?: boolean }) => {
        const date = await requireFlag(env, flags.date, '--date', { message: 'Holiday date', placeholder: 'YYYY-MM-DD', schema: isoDate });
        const name = await requireFlag(env, flags.name, '--name', { message: 'Name of the holiday', placeholder: 'Diwali' });
        const result = await forceIfConfirmed(env, Boolean(flags.force), 'Declare the holiday anyway and list them for rescheduling?', (force) =>
          addHoliday(ctx, { date, name, force, notifyFamilies: flags.notifyFamilies === true }),
        );
        const { holiday_on: day } = result.holiday;
        const offers = await offerToFamilies(env, ctx, flags.notifyFamilies, result, { holidayOn: day });
        emit(
          env,
          {
            date: day,
            name: result.holiday.name,
            slotsBlocked: result.slotsBlocked,
            toReschedule: toRescheduleJson(result.toReschedule, ctx.timezone),
            familiesMessaged: offers,
          },
          () => [
            bold(env, `Holiday added: ${dayLabel(day)}, ${result.holiday.name}.`),
            `${result.slotsBlocked} open slot(s) blocked.`,
            ...toRescheduleLines(result.toReschedule, ctx.timezone),
            ...forcedDayOffLines(result.toReschedule, offers),
          ],
        );
        return 0;
      }),
    );

  holiday
    .command('list')
    .description('Holidays from today on, or of one year')
    .option('--year <year>', 'a calendar year, e.g. 2026', positiveInt)
    .action(
      sessionAction(run, async ({ ctx, env }, flags: { year?: number }) => {
        const rows = await listHolidays(ctx, flags.year === undefined ? {} : { year: flags.year });
        emit(
          env,
          rows.map((r) => ({ date: r.holiday_on, name: r.name })),
          () =>
            tableOr(
              ['Date', 'Holiday'],
              rows.map((r) => [dayLabel(r.holiday_on), r.name]),
              'No holidays.',
            ),
        );
        return 0;
      }),
    );

  holiday
    .command('remove')
    .description('Open the clinic again on a day, and the slots the holiday blocked')
    .argument('<date>', 'the holiday, YYYY-MM-DD')
    .action(
      sessionAction(run, async ({ ctx, env }, date: string) => {
        const result = await removeHoliday(ctx, { date });
        emit(env, { date: result.holiday.holiday_on, name: result.holiday.name, slotsReopened: result.slotsReopened }, () => [
          `Holiday removed: ${dayLabel(result.holiday.holiday_on)}, ${result.holiday.name}.`,
          `${result.slotsReopened} slot(s) reopened.`,
        ]);
        return 0;
      }),
    );
}
