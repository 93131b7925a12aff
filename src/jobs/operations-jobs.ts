import { basename } from 'node:path';
import { systemActor } from '../domain/actor.js';
import { inTransaction, withActor, type DomainContext } from '../domain/context.js';
import { enqueueNotification } from '../domain/notifications/enqueue.js';
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
  return { name: `backup-${kind}`, cron, windowKey, run: (ctx, services) => backup(ctx, services, kind) };
}

/** The text of the alert: which checks failed and why (no personal data is in a health report). */
export function alertText(report: HealthReport): string {
  const failing = report.checks.filter((c) => c.status === 'fail').map((c) => `${c.name}: ${c.detail}`);
  return `Roshni is unhealthy since ${report.checkedAt}: ${failing.join('; ')}. Details: roshni health.`;
}

/**
 * Logs a health report, and when it is unhealthy while the one before was not, writes one alert to
 * each active admin in the outbox (its key names the moment it turned unhealthy: written once).
 * Old health_checks rows are let go. Returns how many alerts were written.
 */
export async function recordHealthAndAlert(ctx: DomainContext, report: HealthReport): Promise<number> {
  const { recordHealth } = await import('../infra/health/health.js');
  return inTransaction(withActor(ctx, systemActor), async (tx) => {
    const previous = await tx.db.selectFrom('health_checks').select('status').orderBy('checked_at', 'desc').orderBy('id', 'desc').executeTakeFirst();
    await recordHealth(tx.db, report);
    const checkedAt = new Date(report.checkedAt);
    await tx.db.deleteFrom('health_checks').where('checked_at', '<', new Date(checkedAt.getTime() - HEALTH_LOG_DAYS * 86_400_000)).execute();
    if (report.status !== 'unhealthy' || previous?.status === 'unhealthy') return 0;
    const admins = await tx.db.selectFrom('staff_users').select('id').where('role', '=', 'admin').where('active', '=', true).orderBy('id').execute();
    let written = 0;
    for (const admin of admins) {
      const row = await enqueueNotification(tx, {
        kind: 'admin_alert',
        idempotencyKey: `health-unhealthy:${report.checkedAt}:${admin.id}`,
        recipient: { staffUserId: admin.id },
        dueAt: checkedAt,
        payload: { about: 'health', text: alertText(report) },
      });
      if (row) written += 1;
    }
    return written;
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

export const OPERATIONS_JOBS: readonly JobDefinition[] = [
  backupJob('daily', '0 2 * * *', day),
  backupJob('weekly', '30 2 * * 0', day),
  backupJob('monthly', '0 3 1 * *', month),
  { name: 'health', cron: '* * * * *', windowKey: minute, run: health },
];
