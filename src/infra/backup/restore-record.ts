import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { sql, type Kysely } from 'kysely';
import type { Actor } from '../../domain/actor.js';
import { resumeSession } from '../../domain/access/sign-in.js';
import { recordAudit } from '../../domain/audit/record-audit.js';
import type { Clock } from '../clock.js';
import { ownerAtWork } from '../db/row-security.js';
import type { DB, StaffRole } from '../db/schema.js';
import type { InspectedBackup } from './backup-file.js';

// What a restore must not forget (issue 20, item 7). A restore replaces the database with the backup's
// contents, so what was written after the backup was made is gone with the rest: the backup log's rows
// for newer backups, the verifications recorded since (the restored backup's own among them), and who
// restored what. Read from the database being replaced before the restore, written back to the restored
// one after it, where the erasures are applied again; the restore itself is audited there too.

/** A row of the replaced database's backup log, its times as ISO text (microseconds kept) and its JSON as text. */
export interface CarriedBackupRow {
  id: number;
  kind: string;
  state: string;
  file_path: string | null;
  size_bytes: string | null;
  sha256: string | null;
  encrypted: boolean;
  manifest: string | null;
  error: string | null;
  started_at: string;
  finished_at: string | null;
  verified_at: string | null;
  verify_result: string | null;
}

/** The member of staff signed in on this machine when the restore began (in the replaced database). */
export interface RestoringStaff {
  staffUserId: number;
  username: string;
  role: StaffRole;
}

/** What the restore reads from the database it replaces. */
export interface RestoreMemory {
  backups: CarriedBackupRow[];
  by: RestoringStaff | null;
}

export const NOTHING_REMEMBERED: RestoreMemory = { backups: [], by: null };

async function hasBackupLog(db: Kysely<any>): Promise<boolean> {
  const { rows } = await sql<{ present: boolean }>`SELECT to_regclass('public.backups') IS NOT NULL AS present`.execute(db);
  return Boolean(rows[0]?.present);
}

/** Every settled row of the backup log (a running backup is not carried: its process writes its own row). */
export async function readBackupRows(db: Kysely<any>): Promise<CarriedBackupRow[]> {
  if (!(await hasBackupLog(db))) return [];
  const { rows } = await sql<CarriedBackupRow>`
    SELECT id, kind::text AS kind, state::text AS state, file_path, size_bytes::text AS size_bytes, sha256, encrypted,
           manifest::text AS manifest, error,
           to_json(started_at) #>> '{}' AS started_at, to_json(finished_at) #>> '{}' AS finished_at,
           to_json(verified_at) #>> '{}' AS verified_at, verify_result::text AS verify_result
    FROM public.backups WHERE state <> 'running' ORDER BY id`.execute(db);
  return rows;
}

/** The member of staff whose session `who` is, if it is live in this database (none: nobody, or a database without sessions). */
export async function restoringStaff(db: Kysely<any>, who: { token: string; machine: string } | undefined): Promise<RestoringStaff | null> {
  if (!who?.token) return null;
  try {
    const session = await resumeSession(db as Kysely<DB>, who.token, who.machine);
    return session ? { staffUserId: session.actor.staffUserId, username: session.username, role: session.actor.role } : null;
  } catch {
    return null; // a new or empty database: no sessions to resume
  }
}

/** Reads what the restore must write back (see above) from the database about to be replaced. */
export async function rememberBeforeRestore(db: Kysely<any>, who: { token: string; machine: string } | undefined): Promise<RestoreMemory> {
  return { backups: await readBackupRows(db), by: await restoringStaff(db, who) };
}

export interface BackupLogPutBack {
  /** Verifications (passes and failures) of backups whose file is still there, given back to the restored log. */
  verificationsKept: number;
  /** Rows for backups the restored log did not know (made after the restored backup). */
  backupsPutBack: number;
}

/**
 * The replaced database's backup log, merged into the restored one (in the caller's transaction, as the owner):
 * - a verification of a file still on disk, keyed by its SHA-256, where the restored log's is missing or older;
 * - a backup the restored log does not know (same type, start and file), with its id when free;
 * - a backup rotated away since (its file gone) is marked rotated again.
 */
export async function putBackBackupLog(trx: Kysely<any>, carried: CarriedBackupRow[]): Promise<BackupLogPutBack> {
  const outcome: BackupLogPutBack = { verificationsKept: 0, backupsPutBack: 0 };
  if (!carried.length || !(await hasBackupLog(trx))) return outcome;
  const sameBackup = (c: CarriedBackupRow) =>
    sql`kind = ${c.kind}::public.backup_kind AND started_at = ${c.started_at}::timestamptz AND file_path IS NOT DISTINCT FROM ${c.file_path}`;
  const unmatched: CarriedBackupRow[] = [];
  for (const c of carried) {
    const { rows } = await sql<{ id: number }>`SELECT id FROM public.backups WHERE ${sameBackup(c)}`.execute(trx);
    if (!rows.length) unmatched.push(c);
    else if (c.state === 'rotated' && c.file_path && !existsSync(c.file_path)) {
      await sql`UPDATE public.backups SET state = 'rotated' WHERE ${sameBackup(c)} AND state = 'completed'`.execute(trx);
    }
  }
  const ids = new Set((await sql<{ id: number }>`SELECT id FROM public.backups`.execute(trx)).rows.map((r) => Number(r.id)));
  const insert = (c: CarriedBackupRow, withId: boolean) => sql`
    INSERT INTO public.backups (${sql.raw(withId ? 'id, ' : '')}kind, state, file_path, size_bytes, sha256, encrypted, manifest, error, started_at, finished_at, verified_at, verify_result)
    ${sql.raw(withId ? 'OVERRIDING SYSTEM VALUE' : '')}
    VALUES (${sql.raw(withId ? `${Number(c.id)}, ` : '')}${c.kind}::public.backup_kind, ${c.state}::public.backup_state, ${c.file_path}, ${c.size_bytes}::bigint,
            ${c.sha256}, ${c.encrypted}, ${c.manifest}::jsonb, ${c.error}, ${c.started_at}::timestamptz, ${c.finished_at}::timestamptz,
            ${c.verified_at}::timestamptz, ${c.verify_result}::jsonb)`;
  const later: CarriedBackupRow[] = [];
  for (const c of unmatched) {
    if (ids.has(Number(c.id))) {
      later.push(c);
      continue;
    }
    await insert(c, true).execute(trx);
    ids.add(Number(c.id));
    outcome.backupsPutBack++;
  }
  if (outcome.backupsPutBack) {
    await sql`SELECT setval(pg_get_serial_sequence('public.backups', 'id'), (SELECT max(id) FROM public.backups))`.execute(trx);
  }
  for (const c of later) {
    await insert(c, false).execute(trx);
    outcome.backupsPutBack++;
  }
  // Verifications: the newest recorded for each file still on disk with the content it was verified with.
  for (const c of carried) {
    if (!c.verify_result || !c.sha256 || !c.file_path || !existsSync(c.file_path)) continue;
    const at = (JSON.parse(c.verify_result) as { at?: string }).at ?? c.verified_at;
    if (!at) continue;
    const { rows } = await sql<{ id: number }>`
      UPDATE public.backups
        SET verify_result = ${c.verify_result}::jsonb, verified_at = greatest(verified_at, ${c.verified_at}::timestamptz)
      WHERE sha256 = ${c.sha256} AND file_path = ${c.file_path}
        AND (verify_result IS NULL OR coalesce((verify_result ->> 'at')::timestamptz, verified_at, '-infinity') < ${at}::timestamptz)
      RETURNING id`.execute(trx);
    if (rows.length && !unmatched.includes(c)) outcome.verificationsKept++;
  }
  return outcome;
}

/** What the restore recorded in the restored database. */
export interface RestoreRecord extends BackupLogPutBack {
  /** The audit entry of the restore. */
  auditId: number;
  /** Who restored (signed in when it began), or null: nobody was. */
  by: RestoringStaff | null;
}

export interface RestoreFacts {
  backup: InspectedBackup;
  database: 'postgres' | 'embedded';
  safetyBackup: string | null;
  force: boolean;
  fromElsewhere: boolean;
  reErased: number;
  machine: string;
}

/**
 * After a restore, in the restored database, as its owner and in one transaction: the backup log's rows
 * and verifications put back, and the restore audited (`backup.restore`): who (the member of staff signed
 * in, as the actor when the restored database has them, always in the entry's meta), which file, its
 * SHA-256 and time, the safety backup taken.
 */
export async function recordRestore(db: Kysely<any>, memory: RestoreMemory, facts: RestoreFacts, clock: Clock): Promise<RestoreRecord> {
  return db.transaction().execute(async (trx) => {
    await ownerAtWork(trx);
    const putBack = await putBackBackupLog(trx, memory.backups);
    const by = memory.by;
    // The restored database's staff are the backup's: the actor only when this very member of staff is among them.
    const present = by
      ? await trx.selectFrom('staff_users').select(['id', 'role']).where('id', '=', by.staffUserId).where('username', '=', by.username).executeTakeFirst()
      : undefined;
    const actor: Actor = present ? { kind: 'staff', staffUserId: present.id, role: present.role as StaffRole, therapistId: null } : { kind: 'system' };
    const { backup } = facts;
    const row = await trx.selectFrom('backups').select('id').where('sha256', '=', backup.sha256).orderBy('id', 'desc').executeTakeFirst();
    const { id } = await recordAudit(
      { db: trx as Kysely<DB>, clock, timezone: 'UTC', actor },
      {
        action: 'backup.restore',
        entity: 'backup',
        entityId: row?.id ?? null,
        meta: {
          file: basename(backup.path),
          path: backup.path,
          sha256: backup.sha256,
          backupKind: backup.header.kind,
          backupCreatedAt: backup.header.createdAt,
          database: facts.database,
          safetyBackup: facts.safetyBackup ? basename(facts.safetyBackup) : null,
          restoredBy: by ? { username: by.username, staffUserId: by.staffUserId, role: by.role } : null,
          machine: facts.machine,
          force: facts.force,
          fileFromElsewhere: facts.fromElsewhere,
          erasedAgain: facts.reErased,
          verificationsKept: putBack.verificationsKept,
          backupsPutBack: putBack.backupsPutBack,
        },
      },
    );
    return { ...putBack, auditId: id, by };
  });
}

/** `recordRestore`, never failing the restore that is done: what went wrong is said instead. */
export async function recordRestoreSafely(
  db: Kysely<any>,
  memory: RestoreMemory,
  facts: RestoreFacts,
  clock: Clock,
  progress: (line: string) => void,
): Promise<RestoreRecord | null> {
  try {
    return await recordRestore(db, memory, facts, clock);
  } catch (error) {
    progress(
      `The backup was restored, but the restore could not be recorded in the restored database (${(error as Error).message}): ` +
        'the audit log does not show it, and `roshni backup list` may show backups as unverified: verify them again.',
    );
    return null;
  }
}
