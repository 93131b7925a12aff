import type { Command } from 'commander';
import type { RunCommand } from '../cli/command-groups.js';
import type { CommandEnv } from '../cli/io.js';
import { emit, table } from '../cli/output.js';
import { withSession } from '../cli/session.js';
import { authorize } from '../domain/policy.js';
import { formatFriendly } from '../domain/time.js';
import { listJobs } from '../jobs/job-runs.js';
import { JOBS } from '../jobs/scheduler.js';

async function list(env: CommandEnv): Promise<number> {
  return withSession(env, async ({ ctx }) => {
    authorize(ctx.actor, 'notification.read');
    const runs = await listJobs(ctx);
    const rows = JOBS.map((job) => ({ job: job.name, schedule: job.cron, last: runs.find((r) => r.jobName === job.name) ?? null }));
    emit(env, rows, () =>
      table(
        ['Job', 'Schedule', 'Last window', 'Started', 'Took', 'Result', 'Runs'],
        rows.map(({ job, schedule, last }) => [
          job,
          schedule,
          last?.windowKey ?? 'never',
          last ? formatFriendly(last.startedAt, ctx.timezone) : '',
          last?.durationMs != null ? `${last.durationMs} ms` : '',
          last ? (last.state === 'failed' ? `failed: ${last.error ?? ''}` : last.state === 'succeeded' ? JSON.stringify(last.result) : last.state) : '',
          last?.runs ?? 0,
        ]),
      ),
    );
    return 0;
  });
}

export function register(program: Command, run: RunCommand): void {
  const jobs = program.command('jobs').description('Scheduled jobs of `roshni start`');
  jobs.command('list').description('Each job: its schedule, last run, duration and result').action(run(list));
}
