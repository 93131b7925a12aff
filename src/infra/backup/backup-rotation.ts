import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { DB } from '../db/schema.js';
import type { BackupKind } from './backup-header.js';
import { settleDeadBackups } from './backup-log.js';
import { backupFilesIn, backupTime } from './backup-names.js';

// How long backup files are kept, and the rotation that removes the others after each backup.

const DAY_MS = 86_400_000;

/** Manual backups and restores' safety backups older than this go at the next rotation (ROSHNI_BACKUP_KEEP_MANUAL_DAYS). */
export function manualRetentionDays(config: Config): number {
  return config.env.ROSHNI_BACKUP_KEEP_MANUAL_DAYS;
}

/**
 * The longest any backup file is kept by rotation, in days: the manual retention, or the daily, weekly
 * and monthly counts at one a day, a week, a month (31 days). `roshni health` warns of a file older.
 */
export function longestRetentionDays(config: Config): number {
  const { ROSHNI_BACKUP_KEEP_DAILY: daily, ROSHNI_BACKUP_KEEP_WEEKLY: weekly, ROSHNI_BACKUP_KEEP_MONTHLY: monthly } = config.env;
  return Math.max(manualRetentionDays(config), daily, weekly * 7, monthly * 31);
}

const SAFETY_PATTERN = /^roshni-before-restore-(\d{8}T\d{9}Z)\.backup$/;

/** Restores' safety backups in the directory (roshni-before-restore-<UTC>.backup), with their time. */
export function safetyBackupsIn(dir: string): Array<{ path: string; at: Date }> {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    const match = SAFETY_PATTERN.exec(name);
    return match ? [{ path: join(dir, name), at: backupTime(match[1]!) }] : [];
  });
}

/** Backup files (of every kind, safety backups too) older than the longest retention: they keep erased patients' data too long. */
export function overOldBackups(config: Config, now: Date): Array<{ path: string; at: Date }> {
  const limit = now.getTime() - longestRetentionDays(config) * DAY_MS;
  return [...backupFilesIn(config.backupDir).map((f) => ({ path: f.path, at: backupTime(f.stamp) })), ...safetyBackupsIn(config.backupDir)]
    .filter((f) => f.at.getTime() < limit)
    .sort((a, b) => a.at.getTime() - b.at.getTime());
}

/**
 * Rotation, after each backup. Per type (daily, weekly, monthly) it keeps the newest
 * ROSHNI_BACKUP_KEEP_* backups and, besides them, the newest one whose last verification passed.
 * Manual backups, and restores' safety backups, are kept ROSHNI_BACKUP_KEEP_MANUAL_DAYS days (90): an
 * erased patient's data leaves them then. It never removes the backup just written, and it leaves alone
 * backups dated after now (a clock that was ahead): they are neither counted nor removed, but reported.
 */
export async function rotateBackups(db: Kysely<DB>, config: Config, clock: Clock, justWritten: string): Promise<string[]> {
  const keep: Record<BackupKind, number> = {
    manual: Number.POSITIVE_INFINITY,
    daily: config.env.ROSHNI_BACKUP_KEEP_DAILY,
    weekly: config.env.ROSHNI_BACKUP_KEEP_WEEKLY,
    monthly: config.env.ROSHNI_BACKUP_KEEP_MONTHLY,
  };
  const now = clock.now();
  const files = backupFilesIn(config.backupDir).filter((f) => backupTime(f.stamp).getTime() <= now.getTime());
  const verified = new Set(
    (
      await db
        .selectFrom('backups')
        .select('file_path')
        .where('verified_at', 'is not', null)
        .where(sql<boolean>`coalesce((verify_result ->> 'ok')::boolean, false)`)
        .where('file_path', 'in', files.length ? files.map((f) => f.path) : [''])
        .execute()
    ).map((r) => r.file_path),
  );
  const seen: Record<BackupKind, number> = { manual: 0, daily: 0, weekly: 0, monthly: 0 };
  const newestVerifiedKept = new Set<BackupKind>();
  const removed: string[] = [];
  const manualLimit = now.getTime() - manualRetentionDays(config) * DAY_MS;
  for (const file of files) {
    if (file.kind === 'manual') {
      if (file.path !== justWritten && backupTime(file.stamp).getTime() < manualLimit) {
        rmSync(file.path, { force: true });
        removed.push(file.path);
      }
      continue;
    }
    const isVerified = verified.has(file.path);
    const wanted = ++seen[file.kind] <= keep[file.kind] || file.path === justWritten || (isVerified && !newestVerifiedKept.has(file.kind));
    if (isVerified) newestVerifiedKept.add(file.kind);
    if (wanted) continue;
    rmSync(file.path, { force: true });
    removed.push(file.path);
  }
  for (const safety of safetyBackupsIn(config.backupDir)) {
    if (safety.path !== justWritten && safety.at.getTime() < manualLimit) {
      rmSync(safety.path, { force: true });
      removed.push(safety.path);
    }
  }
  if (removed.length) await db.updateTable('backups').set({ state: 'rotated' }).where('file_path', 'in', removed).execute();
  await settleDeadBackups(db, now);
  // A .partial file is what a stopped backup leaves, never a backup: cleared once no running backup
  // is writing it. The log decides, not the file's time, which a backup folder on another machine's
  // disk may keep by another clock.
  const writing = await db.selectFrom('backups').select('file_path').where('state', '=', 'running').execute();
  const inProgress = new Set(writing.map((b) => `${b.file_path}.partial`));
  for (const name of readdirSync(config.backupDir)) {
    const path = join(config.backupDir, name);
    if (name.endsWith('.partial') && !inProgress.has(path)) rmSync(path, { force: true });
  }
  return removed;
}
