import type { Kysely } from 'kysely';
import type { Config } from '../config.js';
import type { DB } from '../db/schema.js';
import type { Verdict } from './external-services.js';

// The health checks of the backups: the last successful one, the last verified one, files dated in
// the future, files older than the longest retention.

export const BACKUP_MAX_AGE_HOURS = 26;
export const VERIFIED_BACKUP_MAX_AGE_DAYS = 8;

function hoursSince(at: Date, now: Date): number {
  return (now.getTime() - at.getTime()) / 3_600_000;
}

function describeAge(hours: number): string {
  return hours < 48 ? `${Math.round(hours)} h ago` : `${Math.round(hours / 24)} days ago`;
}

/**
 * The last restore, from its audit entry (src/infra/backup/restore-record.ts), as a clause of the backup
 * check: when, which file, by whom. Empty when there was none, or when this connection may not read the audit log.
 */
async function lastRestore(db: Kysely<DB>, now: Date): Promise<string> {
  let row: { at: Date; meta: unknown; username: string | null } | undefined;
  try {
    row = await db
      .selectFrom('audit_log as a')
      .leftJoin('staff_users as u', (join) => join.onRef('u.id', '=', 'a.actor_id').on('a.actor_kind', '=', 'staff'))
      .select(['a.at', 'a.meta', 'u.username'])
      .where('a.action', '=', 'backup.restore')
      .orderBy('a.at', 'desc')
      .orderBy('a.id', 'desc')
      .executeTakeFirst();
  } catch (error) {
    if ((error as { code?: string }).code === '42501') return '';
    throw error;
  }
  if (!row) return '';
  const meta = (row.meta ?? {}) as { file?: string; restoredBy?: { username?: string } | null };
  const by = row.username ?? meta.restoredBy?.username ?? 'nobody signed in';
  const at = new Date(row.at);
  return `; last restore ${describeAge(hoursSince(at, now))} (${at.toISOString().slice(0, 16).replace('T', ' ')} UTC): ${meta.file ?? 'a backup'}, by ${by}`;
}

export async function backupCheck(db: Kysely<DB>, now: Date): Promise<Verdict> {
  const last = await db
    .selectFrom('backups')
    .select('finished_at')
    .where('state', 'in', ['completed', 'rotated'])
    .where('finished_at', 'is not', null)
    .orderBy('finished_at', 'desc')
    .executeTakeFirst();
  const restore = await lastRestore(db, now);
  if (!last?.finished_at) return { status: 'warn', detail: `no successful backup yet: \`roshni backup create\`${restore}` };
  const hours = hoursSince(last.finished_at, now);
  return { status: hours < BACKUP_MAX_AGE_HOURS ? 'ok' : 'warn', detail: `last successful backup ${describeAge(hours)}${restore}` };
}

export async function backupClockCheck(config: Config, now: Date): Promise<Verdict> {
  const { futureDatedBackups } = await import('../backup/backup-names.js');
  const future = futureDatedBackups(config.backupDir, now);
  if (!future.length) return { status: 'ok', detail: 'no backup dated in the future' };
  const newest = future[0]!.at.toISOString();
  return {
    status: 'warn',
    detail: `clock problem: ${future.length} backup(s) dated in the future (the newest ${newest}); they are never \`latest\` nor rotated away: check the clock`,
  };
}

export async function backupRetentionCheck(config: Config, now: Date): Promise<Verdict> {
  const { overOldBackups, longestRetentionDays } = await import('../backup/backups.js');
  const old = overOldBackups(config, now);
  const days = longestRetentionDays(config);
  if (!old.length) return { status: 'ok', detail: `no backup file older than the longest retention (${days} days)` };
  return {
    status: 'warn',
    detail: `${old.length} backup file(s) older than the longest retention (${days} days; the oldest from ${old[0]!.at.toISOString().slice(0, 10)}) still hold the data of patients erased since: remove them, or keep them knowingly`,
  };
}

export async function verifiedBackupCheck(db: Kysely<DB>, now: Date): Promise<Verdict> {
  const last = await db.selectFrom('backups').select('verified_at').where('verified_at', 'is not', null).orderBy('verified_at', 'desc').executeTakeFirst();
  if (!last?.verified_at) return { status: 'warn', detail: 'no backup verified yet: `roshni backup verify latest`' };
  const hours = hoursSince(last.verified_at, now);
  return { status: hours < VERIFIED_BACKUP_MAX_AGE_DAYS * 24 ? 'ok' : 'warn', detail: `last verified backup ${describeAge(hours)}` };
}
