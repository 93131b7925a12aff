import type { Command } from 'commander';
import type { RunCommand } from '../cli/command-groups.js';
import { bold, emit } from '../cli/output.js';
import { renderSchedule, scheduleJson } from '../cli/render-schedule.js';
import { withSession } from '../cli/session.js';
import { daySchedule } from '../domain/scheduling/day-schedule.js';
import { clinicDate } from '../domain/time.js';

export function register(program: Command, run: RunCommand): void {
  program
    .command('today')
    .description("Today's appointments, per therapist, with status and payment")
    .option('--therapist <id>', 'only this therapist', (v) => Number(v))
    .action(
      run(async (env, flags: { therapist?: number }) =>
        withSession(env, async ({ ctx }) => {
          const date = clinicDate(ctx.clock.now(), ctx.timezone);
          const rows = await daySchedule(ctx, { date, ...(flags.therapist !== undefined ? { therapistId: flags.therapist } : {}) });
          emit(env, { date, timezone: ctx.timezone, appointments: scheduleJson(rows, ctx.timezone) }, () => [
            bold(env, `Today, ${date} (${ctx.timezone})`),
            '',
            ...renderSchedule(rows, ctx.timezone),
          ]);
          return 0;
        }),
      ),
    );
}
