import { basename } from 'node:path';
import { sql } from 'kysely';
import { systemActor } from '../domain/actor.js';
import { inTransaction, withActor, type DomainContext } from '../domain/context.js';
import { alertAdmins } from '../domain/notifications/admin-alerts.js';
import { clinicDate, clinicTime } from '../domain/time.js';
import type { BackupKind } from '../infra/backup/backup-file.js';
import type { HealthReport } from '../infra/health/health.js';
import type { JobDefinition, JobServices } from './scheduler.js';

// The operations jobs of `roshni start`: the nightly backups (daily at 02:00 clinic time, a weekly
// one on Sundays, a monthly one on the 1st, each rotated as `roshni backup create --type` does) and
// the health check every minute, which logs each result and alerts the admins once when Roshni
// turns unhealthy (again only after it has recovered in between).

/** health_checks rows are kept this long (one a minute). */
export const HEALTH_LOG_DAYS = 30;

const minute = (now: Date, tz: string) => `${clinicDate(now, tz)}T${clinicTime(now, tz)}`;
const day = (now: Date, tz: string) => clinicDate(now, tz);
const month = (now: Date, tz: string) => clinicDate(now, tz).slice(0, 7);

async function backup(ctx: DomainContext, services: JobServices, kind: BackupKind): Promise<Record<string, unknown>> {
  const { createBackup } = await import('../infra/backup/backups.js');
  const made = await createBackup(services.database, services.config, { kind, clock: ctx.clock });
  return { backupId: made.id, kind, file: basename(made.file), sizeBytes: made.sizeBytes, encrypted: made.encrypted, rotated: made.rotated.length };
}

function backupJob(kind: Exclude<BackupKind, 'manual'>, cron: string, windowKey: JobDefinition['windowKey']): JobDefinition {
  return {
    name: `backup-${kind}`,
    cron,
    windowKey,
    run: async (ctx, services) => {
      try {
        return await backup(ctx, services, kind);
      } catch (error) {
        // Once per window (the hourly retries of the same day say nothing more).
        const window = windowKey(ctx.clock.now(), ctx.timezone);
        const reason = error instanceof Error ? error.message.slice(0, 200) : 'unknown error';
        await inTransaction(withActor(ctx, systemActor), (tx) =>
          alertAdmins(tx, `backup-failed:${kind}:${window}`, { about: 'backup', text: `The ${kind} backup of ${window} failed: ${reason}. It is tried again every hour today; see roshni jobs list.` }, ctx.clock.now()),
        );
        throw error;
      }
    },
  };
}

/** The text of the alert: which checks failed and why (no personal data is in a health report). */
export function alertText(report: HealthReport): string {
  const failing = report.checks.filter((c) => c.status === 'fail').map((c) => `${c.name}: ${c.detail}`);
  return `Roshni is unhealthy since ${report.checkedAt}: ${failing.join('; ')}. Details: roshni health.`;
}

/**
 * Logs a health report, and when it is unhealthy and no alert went out since the last report that was
 * not (whoever logged it: this job or `roshni health`), writes one alert to each active admin in the
 * outbox. Old health_checks rows are let go. Returns how many alerts were written.
 */
export async function recordHealthAndAlert(ctx: DomainContext, report: HealthReport): Promise<number> {
  const { recordHealth } = await import('../infra/health/health.js');
  return inTransaction(withActor(ctx, systemActor), async (tx) => {
    // The spell began after the last report that was not unhealthy (from this job or a `roshni health`).
    const lastFine = await tx.db.selectFrom('health_checks').select('checked_at').where('status', '<>', 'unhealthy').orderBy('checked_at', 'desc').executeTakeFirst();
    await recordHealth(tx.db, report);
    const checkedAt = new Date(report.checkedAt);
    await tx.db.deleteFrom('health_checks').where('checked_at', '<', new Date(checkedAt.getTime() - HEALTH_LOG_DAYS * 86_400_000)).execute();
    if (report.status !== 'unhealthy') return 0;
    const alerted = await tx.db
      .selectFrom('notifications')
      .select('id')
      .where('kind', '=', 'admin_alert')
      .where(sql<boolean>`payload->>'about' = 'health'`)
      .$if(Boolean(lastFine), (qb) => qb.where('due_at', '>', lastFine!.checked_at))
      .executeTakeFirst();
    if (alerted) return 0;
    return alertAdmins(tx, `health-unhealthy:${report.checkedAt}`, { about: 'health', text: alertText(report) }, checkedAt);
  });
}

async function health(ctx: DomainContext, services: JobServices): Promise<Record<string, unknown>> {
  const { checkHealth } = await import('../infra/health/health.js');
  const report = await checkHealth({
    config: services.config,
    clock: ctx.clock,
    db: ctx.db,
    ...(services.whatsappState ? { whatsappState: services.whatsappState } : {}),
  });
  const alerted = await recordHealthAndAlert(ctx, report);
  const named = (status: string) => report.checks.filter((c) => c.status === status).map((c) => c.name);
  return { status: report.status, failing: named('fail'), warning: named('warn'), alerted };
}

// Backups fire every hour from their time until the day's end: the first firing makes the backup,
// later ones find the window done, unless it failed or its process died (then it is made again).
export const OPERATIONS_JOBS: readonly JobDefinition[] = [
  backupJob('daily', '0 2-23 * * *', day),
  backupJob('weekly', '30 2-23 * * 0', day),
  backupJob('monthly', '0 3-23 1 * *', month),
  { name: 'health', cron: '* * * * *', windowKey: minute, run: health },
];
