import type { Command } from 'commander';
import type { RunCommand } from '../cli/command-groups.js';
import type { CommandEnv } from '../cli/io.js';
import { bold, emit } from '../cli/output.js';
import { renderSchedule, scheduleJson } from '../cli/render-schedule.js';
import { withSession } from '../cli/session.js';
import { listAppointments } from '../domain/scheduling/appointment-queries.js';
import { clinicDate } from '../domain/time.js';
import { dateValue } from '../cli/options.js';

async function showDay(env: CommandEnv, flags: { date?: string; therapist?: string }, title: (date: string) => string) {
  return withSession(env, async ({ ctx }) => {
    const date = flags.date ?? clinicDate(ctx.clock.now(), ctx.timezone);
    // Loaded only when asked for: finding people brings libphonenumber (about 300 KB), which the day's list never needs.
    const therapist = flags.therapist ? await (await import('../cli/pick-person.js')).therapistFor(env, ctx, flags.therapist) : undefined;
    const rows = await listAppointments(ctx, { from: date, to: date, ...(therapist ? { therapistId: therapist.id } : {}) });
    emit(env, { date, timezone: ctx.timezone, appointments: scheduleJson(rows, ctx.timezone) }, () => [
      bold(env, `${title(date)} (${ctx.timezone})`),
      '',
      ...renderSchedule(rows, ctx.timezone),
    ]);
    return 0;
  });
}

export function register(program: Command, run: RunCommand): void {
  program
    .command('today')
    .description("Today's appointments per therapist, with status and payment")
    .option('--therapist <therapist>', 'only this therapist')
    .action(run((env, flags: { therapist?: string }) => showDay(env, { ...flags, date: undefined }, (d) => `Today, ${d}`)));

  program
    .command('schedule')
    .description("A day's appointments per therapist (default today)")
    .option('--date <date>', 'clinic date, YYYY-MM-DD', dateValue)
    .option('--therapist <therapist>', 'only this therapist')
    .action(run((env, flags: { date?: string; therapist?: string }) => showDay(env, flags, (d) => `Schedule for ${d}`)));
}
