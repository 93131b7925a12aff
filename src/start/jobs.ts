import type { DomainContext } from '../domain/context.js';
import type { JobOutcome } from '../domain/operations/job-runs.js';
import { JOBS, findJob, fireJob } from '../jobs/scheduler.js';

// The scheduled jobs as the CLI sees them: what runs when (`roshni jobs list`, `roshni start`'s
// banner), and one job run by hand in the CLI's process (`roshni remind run`).

export interface ScheduledJob {
  name: string;
  cron: string;
}

export const scheduledJobs = (): ScheduledJob[] => JOBS.map(({ name, cron }) => ({ name, cron }));

/** Runs a job (one needing no services: reminders, waitlist offers…) for the window of now, unless some process already has. */
export function runJobNow(ctx: DomainContext, name: string, instanceId: string): Promise<JobOutcome> {
  const job = findJob(name);
  if (!job) throw new Error(`No job named ${name}.`);
  return fireJob(ctx, job, instanceId);
}
