import type { Command } from 'commander';
import type { RunCommand } from '../cli/command-groups.js';
import { emit } from '../cli/output.js';
import { sessionAction, type CommandSession } from '../cli/session.js';
import { scheduleReminders } from '../domain/notifications/reminders.js';
import { authorize } from '../domain/policy.js';
import { runJobNow } from '../start/jobs.js';
import { hostname } from 'node:os';

/** "; 2 recorded as skipped (…)": reminders not to be sent, and where the desk reads why. */
const skippedText = (skipped: number, verb: string) =>
  skipped ? `; ${skipped} ${verb} recorded as skipped, not to be sent (why: roshni notifications list --state skipped)` : '';

/** The reminder job by hand: in its window like the scheduled one (never twice), or a dry run. */
async function remindRun({ ctx, env }: CommandSession, flags: { dryRun?: boolean }): Promise<number> {
  authorize(ctx.actor, 'jobs.run');
  if (flags.dryRun) {
    const counted = await scheduleReminders(ctx, { dryRun: true });
    emit(
      env,
      { dryRun: true, ...counted },
      () =>
        `Would schedule ${counted.scheduled} reminder(s) for ${counted.appointments} upcoming appointment(s)${skippedText(counted.skipped, 'would be')}. Nothing was written.`,
    );
    return 0;
  }
  const outcome = await runJobNow(ctx, 'reminders', `cli:${hostname()}:${process.pid}`);
  emit(env, outcome, () => {
    if (!outcome.ran)
      return outcome.reason === 'already_ran' ? 'The reminders already ran this minute.' : 'The reminders are running in another process right now.';
    if (outcome.state === 'failed') return `The reminder run failed: ${outcome.error}`;
    return `Scheduled ${String(outcome.result.scheduled)} reminder(s) for ${String(outcome.result.appointments)} upcoming appointment(s)${skippedText(Number(outcome.result.skipped ?? 0), 'were')}.`;
  });
  return outcome.ran && outcome.state === 'failed' ? 1 : 0;
}

export function register(program: Command, run: RunCommand): void {
  const remind = program.command('remind').description('Appointment reminders');
  remind
    .command('run')
    .description('Schedule due reminders now (the job `roshni start` runs every minute)')
    .option('--dry-run', 'count what would be scheduled; write nothing')
    .action(sessionAction(run, remindRun));
}
