import type { Command } from 'commander';
import {
  forceIfConfirmed,
  forcedDayOffLines,
  offerToFamilies,
  requireTherapist,
  therapistFilter,
  toRescheduleJson,
  toRescheduleLines,
} from '../cli/calendar-input.js';
import type { RunCommand } from '../cli/command-groups.js';
import { bold, emit, tableOr } from '../cli/output.js';
import { dateValue, positiveInt } from '../cli/options.js';
import { requireFlag } from '../cli/prompts.js';
import { askText } from '../cli/prompts.js';
import { sessionAction } from '../cli/session.js';
import { addLeave, listLeave, removeLeave } from '../domain/scheduling/leave.js';
import { isoDate } from '../domain/time.js';

interface AddFlags {
  from?: string;
  to?: string;
  reason?: string;
  force?: boolean;
  notifyFamilies?: boolean;
}

const leaveJson = (leave: { id: number; therapist_id: number; therapist_name: string; starts_on: string; ends_on: string; reason: string | null }) => ({
  id: leave.id,
  therapist: { id: leave.therapist_id, name: leave.therapist_name },
  from: leave.starts_on,
  to: leave.ends_on,
  reason: leave.reason,
});

const span = (leave: { starts_on: string; ends_on: string }) =>
  leave.starts_on === leave.ends_on ? leave.starts_on : `${leave.starts_on} to ${leave.ends_on}`;

export function register(program: Command, run: RunCommand): void {
  const leave = program.command('leave').description('Therapist leave: whole clinic days on which they take no appointments');

  leave
    .command('add')
    .description("Record leave and block the therapist's open slots in it (refused while appointments fall in it, unless --force)")
    .argument('[therapist]', 'id, username or part of the name')
    .option('--from <date>', 'first day of leave, YYYY-MM-DD', dateValue)
    .option('--to <date>', 'last day of leave, YYYY-MM-DD (default: the --from day)', dateValue)
    .option('--reason <text>', 'why, for the desk (e.g. "conference")')
    .option('--force', 'record it even though appointments fall in it, and list them for rescheduling')
    .option('--notify-families', 'with --force: message their families through the outbox, offering to reschedule or cancel')
    .option('--no-notify-families', 'with --force: do not message the families, and do not ask')
    .action(
      sessionAction(run, async ({ ctx, env }, ref: string | undefined, flags: AddFlags) => {
        const therapist = await requireTherapist(env, ctx, ref);
        const from = await requireFlag(env, flags.from, '--from', { message: 'First day of leave', placeholder: 'YYYY-MM-DD', schema: isoDate });
        const to = flags.to ?? (flags.from === undefined ? await askText({ message: 'Last day of leave', initialValue: from, schema: isoDate }) : from)!;
        const input = { therapistId: therapist.id, from, to, ...(flags.reason ? { reason: flags.reason } : {}) };
        const result = await forceIfConfirmed(env, Boolean(flags.force), 'Record the leave anyway and list them for rescheduling?', (force) =>
          addLeave(ctx, { ...input, force, notifyFamilies: flags.notifyFamilies === true }),
        );
        const offers = await offerToFamilies(env, ctx, flags.notifyFamilies, result, { leaveId: result.leave.id });
        emit(
          env,
          {
            leave: leaveJson(result.leave),
            slotsBlocked: result.slotsBlocked,
            toReschedule: toRescheduleJson(result.toReschedule, ctx.timezone),
            familiesMessaged: offers,
          },
          () => [
            bold(env, `Leave ${result.leave.id} recorded: ${therapist.full_name}, ${span(result.leave)}.`),
            `${result.slotsBlocked} open slot(s) blocked.`,
            ...toRescheduleLines(result.toReschedule, ctx.timezone),
            ...forcedDayOffLines(result.toReschedule, offers),
          ],
        );
        return 0;
      }),
    );

  leave
    .command('list')
    .description('Current and coming leave (all of it with --all)')
    .option('--therapist <therapist>', 'only this therapist (id, username or part of the name)')
    .option('--all', 'include leave that is over')
    .action(
      sessionAction(run, async ({ ctx, env }, flags: { therapist?: string; all?: boolean }) => {
        const therapistId = await therapistFilter(ctx, flags.therapist);
        const rows = await listLeave(ctx, { ...(therapistId !== undefined ? { therapistId } : {}), includePast: Boolean(flags.all) });
        emit(env, rows.map(leaveJson), () =>
          tableOr(
            ['Id', 'Therapist', 'From', 'To', 'Reason'],
            rows.map((r) => [r.id, r.therapist_name, r.starts_on, r.ends_on, r.reason ?? '']),
            'No leave recorded.',
          ),
        );
        return 0;
      }),
    );

  leave
    .command('remove')
    .description('Remove leave and reopen the slots it blocked')
    .argument('<id>', 'the leave id (from `roshni leave list`)', positiveInt)
    .action(
      sessionAction(run, async ({ ctx, env }, leaveId: number) => {
        const result = await removeLeave(ctx, { leaveId });
        emit(env, { leave: leaveJson(result.leave), slotsReopened: result.slotsReopened }, () => [
          `Leave ${leaveId} removed: ${result.leave.therapist_name}, ${span(result.leave)}.`,
          `${result.slotsReopened} slot(s) reopened.`,
        ]);
        return 0;
      }),
    );
}
