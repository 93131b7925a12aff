import type { Command } from 'commander';
import type { RunCommand } from '../cli/command-groups.js';
import { emit, table } from '../cli/output.js';
import { sessionAction, type CommandSession } from '../cli/session.js';
import { authorize } from '../domain/policy.js';
import { formatFriendly } from '../domain/time.js';
import { listJobs, type JobSummary } from '../domain/operations/job-runs.js';
import { scheduledJobs } from '../start/jobs.js';
import { formatBytes } from './backup.js';

const WEEKDAYS = ['Sundays', 'Mondays', 'Tuesdays', 'Wednesdays', 'Thursdays', 'Fridays', 'Saturdays'];
const two = (n: string) => n.padStart(2, '0');
const ordinal = (n: number) => `${n}${n % 10 === 1 && n !== 11 ? 'st' : n % 10 === 2 && n !== 12 ? 'nd' : n % 10 === 3 && n !== 13 ? 'rd' : 'th'}`;

/** A job's cron expression in words ("every minute", "daily 01:30", "daily from 02:00, hourly until 23:00"); else as it is. */
export function describeSchedule(cron: string): string {
  const [minute, hour, day, month, weekday] = cron.split(' ');
  if (cron === '* * * * *') return 'every minute';
  const every = /^\*\/(\d+)$/.exec(minute ?? '');
  if (every && hour === '*' && day === '*' && month === '*' && weekday === '*') return `every ${every[1]} min`;
  if (!/^\d+$/.test(minute ?? '') || month !== '*') return cron;
  const range = /^(\d+)-(\d+)$/.exec(hour ?? '');
  const at = (h: string) => `${two(h)}:${two(minute!)}`;
  const when = range ? `from ${at(range[1]!)}, hourly until ${at(range[2]!)}` : /^\d+$/.test(hour ?? '') ? at(hour!) : null;
  if (!when) return cron;
  if (day === '*' && weekday === '*') return `daily ${when}`;
  if (day === '*' && /^[0-6]$/.test(weekday ?? '')) return `${WEEKDAYS[Number(weekday)]} ${when}`;
  if (/^\d+$/.test(day ?? '') && weekday === '*') return `the ${ordinal(Number(day))} of each month ${when}`;
  return cron;
}

const words = (key: string) => key.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
const count = (n: unknown) => (typeof n === 'number' ? n : 0);

/** A job's result in a few words: its counts, what it made; never the raw JSON (that is `--json`). */
export function summariseResult(job: string, result: unknown): string {
  if (!result || typeof result !== 'object') return '';
  const r = result as Record<string, unknown>;
  if (job === 'reminders') return `${count(r.scheduled)} reminder(s) for ${count(r.appointments)} appointment(s)`;
  if (job === 'waitlist-offers') return `${count(r.offered)} offered, ${count(r.expired)} expired, ${count(r.lapsed)} lapsed`;
  if (job === 'therapist-summary') return `${count(r.enqueued)} summary(ies) queued`;
  if (job === 'pending-documents') return `${count(r.deleted)} document(s) deleted`;
  if (job === 'slot-generation') return `${count(r.created)} slot(s) made, ${count(r.skipped)} already there`;
  if (job.startsWith('backup-') && typeof r.file === 'string') {
    const size = formatBytes(typeof r.sizeBytes === 'number' ? r.sizeBytes : null);
    return [
      `backup ${r.backupId ?? ''}: ${r.file}`,
      ...(size ? [size] : []),
      r.encrypted ? 'encrypted' : 'not encrypted',
      ...(count(r.rotated) ? [`${count(r.rotated)} rotated away`] : []),
    ].join(', ');
  }
  if (job === 'health' && typeof r.status === 'string') {
    const names = (v: unknown) => (Array.isArray(v) ? v.map(String) : []);
    const failing = names(r.failing);
    const warning = names(r.warning);
    return [
      r.status,
      ...(failing.length ? [`failing: ${failing.join(', ')}`] : []),
      ...(warning.length ? [`warning: ${warning.join(', ')}`] : []),
      ...(r.alerted ? ['admins alerted'] : []),
    ].join('; ');
  }
  // Any other job: its counts, then anything else it says.
  return Object.entries(r)
    .map(([key, value]) => {
      if (typeof value === 'number') return `${value} ${words(key)}`;
      if (typeof value === 'boolean') return value ? words(key) : null;
      if (typeof value === 'string') return `${words(key)} ${value}`;
      if (Array.isArray(value)) return `${value.length} ${words(key)}`;
      return null;
    })
    .filter(Boolean)
    .join(', ');
}

function outcome(last: JobSummary | null): string {
  if (!last) return 'never run';
  if (last.state === 'succeeded') return 'done';
  return last.state; // failed, running
}

async function list({ ctx, env }: CommandSession): Promise<number> {
  authorize(ctx.actor, 'notification.read');
  const runs = await listJobs(ctx);
  const rows = scheduledJobs().map((job) => ({ job: job.name, schedule: job.cron, last: runs.find((r) => r.jobName === job.name) ?? null }));
  emit(env, rows, () =>
    table(
      ['Job', 'When', 'Last run', 'Took', 'Outcome', 'Result', 'Runs'],
      rows.map(({ job, schedule, last }) => [
        job,
        describeSchedule(schedule),
        last ? formatFriendly(last.startedAt, ctx.timezone) : '',
        last?.durationMs != null ? `${last.durationMs} ms` : '',
        outcome(last),
        last ? (last.state === 'failed' ? (last.error ?? '') : last.state === 'succeeded' ? summariseResult(job, last.result) : '') : '',
        last?.runs ?? 0,
      ]),
    ),
  );
  return 0;
}

export function register(program: Command, run: RunCommand): void {
  const jobs = program.command('jobs').description('Scheduled jobs of `roshni start`');
  jobs
    .command('list')
    .description('Each job: when it runs, its last run, how long it took and what it did (--json: the raw results)')
    .action(sessionAction(run, list));
}
