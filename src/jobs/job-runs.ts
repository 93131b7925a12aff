import { sql } from 'kysely';
import type { DomainContext } from '../domain/context.js';

export type JobOutcome =
  | { ran: true; state: 'succeeded'; result: Record<string, unknown>; durationMs: number }
  | { ran: true; state: 'failed'; error: string; durationMs: number }
  | { ran: false; reason: 'running_elsewhere' | 'already_ran' };

/**
 * Runs a scheduled job at most once per window, across every process. A Postgres advisory lock keeps
 * two processes from running the job at the same moment; the row in job_runs, UNIQUE (job_name,
 * window_key), is the guarantee: whoever inserts it runs the window, everyone else skips. A failed
 * window may be tried again (the row goes back to running); a succeeded one never is.
 */
export async function runJobOnce(
  ctx: DomainContext,
  job: { name: string; windowKey: string; instanceId: string },
  work: () => Promise<Record<string, unknown>>,
): Promise<JobOutcome> {
  return ctx.db.connection().execute(async (connection) => {
    const lockKey = `roshni-job:${job.name}`;
    const { rows } = await sql<{ locked: boolean }>`SELECT pg_try_advisory_lock(hashtext(${lockKey})) AS locked`.execute(connection);
    if (!rows[0]?.locked) return { ran: false, reason: 'running_elsewhere' } as const;
    try {
      const started = await sql<{ id: number }>`
        INSERT INTO job_runs (job_name, window_key, instance_id, started_at)
        VALUES (${job.name}, ${job.windowKey}, ${job.instanceId}, ${ctx.clock.now()}::timestamptz)
        ON CONFLICT (job_name, window_key) DO UPDATE
          SET state = 'running', instance_id = excluded.instance_id, started_at = excluded.started_at,
              finished_at = NULL, error = NULL, result = NULL
          WHERE job_runs.state = 'failed'
        RETURNING id`.execute(connection);
      const run = started.rows[0];
      if (!run) return { ran: false, reason: 'already_ran' } as const;
      const began = performance.now();
      try {
        const result = await work();
        await connection
          .updateTable('job_runs')
          .set({ state: 'succeeded', finished_at: ctx.clock.now(), result: JSON.stringify(result) })
          .where('id', '=', run.id)
          .execute();
        return { ran: true, state: 'succeeded', result, durationMs: performance.now() - began } as const;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        await connection
          .updateTable('job_runs')
          .set({ state: 'failed', finished_at: ctx.clock.now(), error: message.slice(0, 500) })
          .where('id', '=', run.id)
          .execute();
        return { ran: true, state: 'failed', error: message, durationMs: performance.now() - began } as const;
      }
    } finally {
      await sql`SELECT pg_advisory_unlock(hashtext(${lockKey}))`.execute(connection);
    }
  });
}

export interface JobSummary {
  jobName: string;
  windowKey: string;
  state: string;
  startedAt: Date;
  finishedAt: Date | null;
  durationMs: number | null;
  result: unknown;
  error: string | null;
  runs: number;
}

/** The last run of each job, with how many windows it has run. */
export async function listJobs(ctx: DomainContext): Promise<JobSummary[]> {
  const { rows } = await sql<{
    job_name: string; window_key: string; state: string; started_at: Date; finished_at: Date | null; result: unknown; error: string | null; runs: string;
  }>`
    SELECT DISTINCT ON (job_name) job_name, window_key, state, started_at, finished_at, result, error,
           count(*) OVER (PARTITION BY job_name) AS runs
    FROM job_runs ORDER BY job_name, started_at DESC, id DESC`.execute(ctx.db);
  return rows.map((r) => ({
    jobName: r.job_name,
    windowKey: r.window_key,
    state: r.state,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    durationMs: r.finished_at ? r.finished_at.getTime() - r.started_at.getTime() : null,
    result: r.result,
    error: r.error,
    runs: Number(r.runs),
  }));
}
