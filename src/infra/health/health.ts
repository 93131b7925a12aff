import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import { describeTimeout } from '../outbound.js';
import { startChecks, type ChecksRun } from './health-checks.js';
import { reportOf, withParts, type HealthCheck, type HealthReport, type HealthDeps, type StartPartReport } from './health-report.js';
import { resultWithin, type RunningCheck } from './timed-check.js';

// `roshni health` and GET /health: every check says ok, warn (degraded) or fail (unhealthy), with its time.
// The checks are in health-checks.ts; what their report holds, in health-report.ts.

export { BACKUP_MAX_AGE_HOURS, VERIFIED_BACKUP_MAX_AGE_DAYS } from './backup-checks.js';
export { healthProbes, systemDiskSpace } from './disk-check.js';
export {
  HEALTH_EXIT_CODE,
  withParts,
  type CheckStatus,
  type DiskSpace,
  type HealthCheck,
  type HealthDeps,
  type HealthReport,
  type HealthStatus,
  type StartPartReport,
} from './health-report.js';

/**
 * GET /health answers within a second, whatever hangs: it waits this long for the checks, leaving
 * room for a busy machine; a check still running then is shown by its last result (see healthProbe).
 */
export const HEALTH_ENDPOINT_ANSWER_WITHIN_MS = 700;

/** Runs every check. Never throws: a check that cannot run fails. */
export async function checkHealth(deps: HealthDeps): Promise<HealthReport> {
  const run = startChecks(deps);
  return reportOf(await Promise.all(run.checks.map((c) => c.result)), run);
}

/**
 * GET /health's probe (`roshni serve`, `roshni start`): the report of `roshni health --json`, within a
 * second whatever hangs, and with `roshni start`'s parts as they are at that moment. Requests within
 * `maxAgeMs` share one run of the checks, so a busy monitor does not become a flood of calls to
 * Telegram, Razorpay and the others. The answer waits `answerWithinMs` for the run: a check still
 * running then (a far service on a cold connection, a hung database) is shown by its last result,
 * with that result's time, or, the first time, as not answering yet; it finishes in the background
 * with its own time limit, and the next answers have it.
 */
export function healthProbe(
  deps: HealthDeps,
  options: { maxAgeMs?: number; answerWithinMs?: number; parts?: () => StartPartReport[] } = {},
): () => Promise<HealthReport> {
  const maxAgeMs = options.maxAgeMs ?? 10_000;
  const answerWithinMs = options.answerWithinMs ?? HEALTH_ENDPOINT_ANSWER_WITHIN_MS;
  const lastKnown = new Map<string, { check: HealthCheck; at: string }>();
  const standIn = (check: RunningCheck): HealthCheck => {
    const last = lastKnown.get(check.name);
    if (last) return { ...last.check, detail: `${last.check.detail} (as of ${last.at}; being checked again)` };
    return { name: check.name, status: check.onTimeout, detail: `no answer yet ${describeTimeout(answerWithinMs)} (still checking)`, ms: answerWithinMs };
  };
  let last: (ChecksRun & { at: number }) | undefined;
  return async () => {
    const now = performance.now();
    if (!last || now - last.at > maxAgeMs) {
      const run = startChecks(deps);
      for (const check of run.checks) void check.result.then((result) => lastKnown.set(check.name, { check: result, at: run.checkedAt }));
      last = { ...run, at: now };
    }
    const run = last;
    const waitMs = run.at + answerWithinMs - performance.now();
    const report = reportOf(await Promise.all(run.checks.map((check) => resultWithin(check, waitMs, () => standIn(check)))), run);
    return options.parts ? withParts(report, options.parts()) : report;
  };
}

/** Logs a report in health_checks (when the database answers). */
export async function recordHealth(db: Kysely<DB>, report: HealthReport): Promise<void> {
  await db
    .insertInto('health_checks')
    .values({ checked_at: new Date(report.checkedAt), status: report.status, duration_ms: report.durationMs, results: JSON.stringify(report.checks) })
    .execute();
}
