import { sql } from 'kysely';
import { systemActor } from '../actor.js';
import { recordAudit } from '../audit/record-audit.js';
import { inTransaction, withActor, type DomainContext } from '../context.js';
import { alertAdmins } from '../notifications/admin-alerts.js';
import type { HealthReport } from '../../infra/health/health.js';

// Roshni's health log and its alert: each check's report is kept for HEALTH_LOG_DAYS, and the
// admins are told once when Roshni turns unhealthy (again only after it has recovered in between).

/** health_checks rows are kept this long (one a minute). */
export const HEALTH_LOG_DAYS = 30;

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
  const { recordHealth } = await import('../../infra/health/health.js');
  // Checking health is the system's own work, whoever started the process.
  return inTransaction(withActor(ctx, systemActor), async (tx) => {
    // The spell began after the last report that was not unhealthy (from this job or a `roshni health`).
    const lastFine = await tx.db
      .selectFrom('health_checks')
      .select('checked_at')
      .where('status', '<>', 'unhealthy')
      .orderBy('checked_at', 'desc')
      .executeTakeFirst();
    await recordHealth(tx.db, report);
    const checkedAt = new Date(report.checkedAt);
    await tx.db
      .deleteFrom('health_checks')
      .where('checked_at', '<', new Date(checkedAt.getTime() - HEALTH_LOG_DAYS * 86_400_000))
      .execute();
    if (report.status !== 'unhealthy') return 0;
    const alerted = await tx.db
      .selectFrom('notifications')
      .select('id')
      .where('kind', '=', 'admin_alert')
      .where(sql<boolean>`payload->>'about' = 'health'`)
      .$if(Boolean(lastFine), (qb) => qb.where('due_at', '>', lastFine!.checked_at))
      .executeTakeFirst();
    if (alerted) return 0;
    const written = await alertAdmins(tx, `health-unhealthy:${report.checkedAt}`, { about: 'health', text: alertText(report) }, checkedAt);
    // The routine log of a check a minute is not audited; telling the admins is.
    await recordAudit(tx, {
      action: 'health.alert',
      entity: 'health_check',
      meta: { alerts: written, failing: report.checks.filter((c) => c.status === 'fail').map((c) => c.name) },
    });
    return written;
  });
}
