import { sql, type Kysely } from 'kysely';
import type { DB } from '../db/schema.js';

// A backup holds a session advisory lock keyed by its log row for as long as it runs: a "running"
// row whose lock nobody holds belongs to a process that is gone (the server releases a dead
// session's locks at once), so it is shown, and then recorded, as interrupted.

/** The first key of the backups' advisory locks ('ROSH'); the second is the row's id. */
const LOCK_CLASS = 0x524f5348;

export const INTERRUPTED = 'interrupted: the process making it stopped before the file was complete';
export const INTERRUPTED_BY_RESTORE = 'interrupted: still running when the restored backup was taken';

/** Whether a failed backup's error says it was interrupted (shown as "interrupted", not "failed"). */
export function wasInterrupted(error: string | null): boolean {
  return Boolean(error?.startsWith('interrupted:'));
}

/** Logs a backup as running, holding its lock (on the caller's single connection) before anyone can see the row. */
export async function logRunningBackup(conn: Kysely<DB>, row: { kind: string; startedAt: Date; file: string; encrypted: boolean }): Promise<number> {
  // One statement: the row becomes visible when it commits, after the lock is taken.
  const { rows } = await sql<{ id: number }>`
    WITH made AS (
      INSERT INTO backups (kind, state, started_at, file_path, encrypted)
      VALUES (${row.kind}::backup_kind, 'running', ${row.startedAt}, ${row.file}, ${row.encrypted})
      RETURNING id)
    SELECT id, pg_advisory_lock(${LOCK_CLASS}, id) FROM made`.execute(conn);
  return rows[0]!.id;
}

export async function releaseBackupLock(conn: Kysely<DB>, id: number): Promise<void> {
  await sql`SELECT pg_advisory_unlock(${LOCK_CLASS}, ${id})`.execute(conn);
}

/** The ids of running backups whose process is gone (nobody holds their lock). */
export async function deadBackups(db: Kysely<DB>): Promise<number[]> {
  const { rows } = await sql<{ id: number }>`
    SELECT b.id FROM backups b
    WHERE b.state = 'running' AND NOT EXISTS (
      SELECT 1 FROM pg_locks l
      WHERE l.locktype = 'advisory' AND l.granted AND l.classid = ${LOCK_CLASS}::oid AND l.objid = b.id::oid AND l.objsubid = 2
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()))`.execute(db);
  return rows.map((r) => r.id);
}

/** Records the dead running backups as interrupted. */
export async function settleDeadBackups(db: Kysely<DB>, now: Date): Promise<void> {
  const dead = await deadBackups(db);
  if (!dead.length) return;
  await db
    .updateTable('backups')
    .set({ state: 'failed', finished_at: now, error: INTERRUPTED })
    .where('id', 'in', dead)
    .where('state', '=', 'running')
    .execute();
}
