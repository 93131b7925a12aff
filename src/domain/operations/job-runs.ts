import { sql } from 'kysely';
import type { DomainContext } from '../context.js';

export type JobOutcome =
  | { ran: true; state: 'succeeded'; result: Record<string, unknown>; durationMs: number }
  | { ran: true; state: 'failed'; error: string; durationMs: number }
  | { ran: false; reason: 'running_elsewhere' | 'already_ran' };

/**
 * Runs a scheduled job at most once per window, across every process. The window is claimed in one
 * short transaction under a Postgres advisory lock (transaction-level): the row in job_runs, UNIQUE
 * (job_name, window_key), is the guarantee: whoever inserts it runs the window, everyone else skips.
 * A failed window may be tried again (the row goes back to running), and so may one still "running"
 * after STALE_RUN_MINUTES (its process died); a succeeded one never is.
 * No connection is held while the job runs: the embedded database has only one, and the job needs it.
 */
/** A run still marked running after this long is taken to have died with its process. */
export const STALE_RUN_MINUTES = 50;

export async function runJobOnce(
  ctx: DomainContext,
  job: { name: string; windowKey: string; instanceId: string },
  work: () => Promise<Record<string, unknown>>,
): Promise<JobOutcome> {
  const lockKey = `roshni-job:${job.name}`;
  const claim = await ctx.db.transaction().execute(async (trx): Promise<{ id: number } | { ran: false; reason: 'running_elsewhere' | 'already_ran' }> => {
    const { rows } = await sql<{ locked: boolean }>`SELECT pg_try_advisory_xact_lock(hashtext(${lockKey})) AS locked`.execute(trx);
    if (!rows[0]?.locked) return { ran: false, reason: 'running_elsewhere' };
    const started = await sql<{ id: number }>`
      INSERT INTO job_runs (job_name, window_key, instance_id, started_at)
      VALUES (${job.name}, ${job.windowKey}, ${job.instanceId}, ${ctx.clock.now()}::timestamptz)
      ON CONFLICT (job_name, window_key) DO UPDATE
        SET state = 'running', instance_id = excluded.instance_id, started_at = excluded.started_at,
            finished_at = NULL, error = NULL, result = NULL
        WHERE job_runs.state = 'failed'
           -- A run whose process died (killed, machine restarted) never finishes: taken over once stale.
           OR (job_runs.state = 'running'
               AND job_runs.started_at < ${ctx.clock.now()}::timestamptz - make_interval(mins => ${STALE_RUN_MINUTES}))
      RETURNING id`.execute(trx);
    if (started.rows[0]) return started.rows[0];
    const existing = await trx
      .selectFrom('job_runs')
      .select('state')
      .where('job_name', '=', job.name)
      .where('window_key', '=', job.windowKey)
      .executeTakeFirst();
    return { ran: false, reason: existing?.state === 'running' ? 'running_elsewhere' : 'already_ran' };
  });
  if ('ran' in claim) return claim;
  const began = performance.now();
  try {
    const result = await work();
    await ctx.db
      .updateTable('job_runs')
      .set({ state: 'succeeded', finished_at: ctx.clock.now(), result: JSON.stringify(result) })
      .where('id', '=', claim.id)
      .execute();
    return { ran: true, state: 'succeeded', result, durationMs: performance.now() - began };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await ctx.db
      .updateTable('job_runs')
      .set({ state: 'failed', finished_at: ctx.clock.now(), error: message.slice(0, 500) })
      .where('id', '=', claim.id)
      .execute();
    return { ran: true, state: 'failed', error: message, durationMs: performance.now() - began };
  }
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
    job_name: string;
    window_key: string;
    state: string;
    started_at: Date;
    finished_at: Date | null;
    result: unknown;
    error: string | null;
    runs: string;
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
