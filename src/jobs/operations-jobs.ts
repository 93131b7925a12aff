import { basename } from 'node:path';
import { systemActor } from '../domain/actor.js';
import { inTransaction, withActor, type DomainContext } from '../domain/context.js';
import { alertAdmins } from '../domain/notifications/admin-alerts.js';
import { recordHealthAndAlert } from '../domain/operations/health-alerts.js';
import { clinicDate, clinicTime } from '../domain/time.js';
import type { BackupKind } from '../infra/backup/backup-header.js';
import type { JobDefinition, JobServices } from './scheduler.js';

// The operations jobs of `roshni start`: the nightly backups (daily at 02:00 clinic time, a weekly
// one on Sundays, a monthly one on the 1st, each rotated as `roshni backup create --type` does) and
// the health check every minute, which logs each result and alerts the admins once when Roshni
// turns unhealthy (src/domain/operations/health-alerts.ts).

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
          alertAdmins(
            tx,
            `backup-failed:${kind}:${window}`,
            { about: 'backup', text: `The ${kind} backup of ${window} failed: ${reason}. It is tried again every hour today; see roshni jobs list.` },
            ctx.clock.now(),
          ),
        );
        throw error;
      }
    },
  };
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
