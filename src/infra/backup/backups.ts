import { randomBytes } from 'node:crypto';
import { createReadStream, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import type { DB } from '../db/schema.js';
import { declareActor } from '../db/row-security.js';
import { ensurePrivateDirectory } from '../private-directory.js';
import { writeBackupFile, type WrittenBackup } from './backup-file.js';
import type { BackupHeader, BackupKind } from './backup-header.js';
import { asTheOwner, contentsIn, countRows, keyTableChecksums, serverVersion } from './backup-contents.js';
import { backupFileName } from './backup-names.js';
import { rotateBackups } from './backup-rotation.js';
import { deadBackups, logRunningBackup, releaseBackupLock, wasInterrupted } from './backup-log.js';
import { BackupDiskFullError, ensureSpaceFor, freeBytesIn, isNoSpace } from './disk-space.js';
import { findPostgresTool, startPgDump } from './pg-tools.js';
import { schemaFingerprint, type SchemaFingerprint } from './schema-fingerprint.js';

// `roshni backup`: make, rotate, verify and restore backups of the whole database.

export { countRows, KEY_TABLES, keyTableChecksums, serverVersion } from './backup-contents.js';
export { PGLITE_BACKUP_NOTE, verifyBackup, type TableComparison, type VerifyOptions, type VerifyResult } from './verify.js';
export { BackupNotFoundError, resolveBackupFile } from './backup-names.js';
export { longestRetentionDays, manualRetentionDays, overOldBackups, rotateBackups, safetyBackupsIn } from './backup-rotation.js';

export interface CreatedBackup {
  id: number;
  file: string;
  kind: BackupKind;
  sizeBytes: number;
  sha256: string;
  encrypted: boolean;
  tables: Record<string, number>;
  rotated: string[];
}

export interface BackupOptions {
  kind: BackupKind;
  clock: Clock;
}

interface WrittenContents {
  tables: Record<string, number>;
  checksums: Record<string, string>;
  schema: SchemaFingerprint;
  written: WrittenBackup;
}

/** The name of the backup a PostgreSQL restore takes of the database it is about to replace (never `latest`, never rotated). */
export function safetyBackupName(at: Date): string {
  return `roshni-before-restore-${at.toISOString().replace(/[-:.]/g, '')}.backup`;
}

/**
 * What the backup will take on disk: the last one's size and a fifth more, or, for a first backup,
 * a quarter of the tables' size on disk (pg_dump's compression usually does better).
 */
async function estimateBackupSize(db: Kysely<any>): Promise<number> {
  const { rows } = await sql<{ last: string | null; tables: string }>`
    SELECT (CASE WHEN to_regclass('public.backups') IS NOT NULL THEN
              (SELECT size_bytes FROM public.backups WHERE state IN ('completed', 'rotated') AND size_bytes IS NOT NULL ORDER BY id DESC LIMIT 1)
            END) AS last,
           (SELECT coalesce(sum(pg_table_size(c.oid)), 0) FROM pg_class c
             WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'm')) AS tables`.execute(db);
  const last = rows[0]?.last == null ? null : Number(rows[0].last);
  return Math.ceil(last ? last * 1.2 : Number(rows[0]?.tables ?? 0) / 4);
}

/** Writes `write`'s backup after checking the space it needs; a full disk mid-way is said as plainly. */
async function withinFreeSpace<T>(db: Kysely<any>, dir: string, write: () => Promise<T>): Promise<T> {
  const estimate = await estimateBackupSize(db);
  const freeAtStart = await freeBytesIn(dir);
  if (freeAtStart < estimate) throw new BackupDiskFullError(dir, estimate, freeAtStart);
  try {
    return await write();
  } catch (error) {
    if (isNoSpace(error)) throw new BackupDiskFullError(dir, Math.max(estimate, freeAtStart + 1), freeAtStart);
    throw error;
  }
}

/**
 * pg_dump of the database into a backup file. The counts, the schema's fingerprint, the checksums and
 * pg_dump share one exported snapshot: they describe exactly what was dumped. pg_dump starts first
 * (connecting and reading the catalog take it a while) and waits on its full pipe while the rows are
 * counted for the header; the checksums are summed while its output is written (they go to the log,
 * not the header).
 */
export async function writePostgresBackup(db: Kysely<any>, config: Config, file: string, kind: BackupKind, at: Date): Promise<WrittenContents> {
  const version = await serverVersion(db);
  const pgDump = findPostgresTool('pg_dump', version.major);
  const base = { kind, createdAt: at.toISOString(), serverVersion: version.text, database: 'postgres' as const, payload: 'pg_dump-custom' as const };
  return withinFreeSpace(db, dirname(file), () =>
    db
      .transaction()
      .setIsolationLevel('repeatable read')
      .execute(async (trx) => {
        const { rows } = await sql<{ snapshot: string }>`SELECT pg_export_snapshot() AS snapshot`.execute(trx);
        const dump = startPgDump(pgDump, config.databaseUrl!, rows[0]!.snapshot);
        dump.done.catch(() => {}); // awaited by writeBackupFile before the file is named a backup
        let summing: Promise<Record<string, string>> = Promise.resolve({});
        let tables: Record<string, number>;
        let schema: SchemaFingerprint;
        let written: WrittenBackup;
        try {
          await asTheOwner(trx);
          await declareActor(trx, { role: 'system' }); // the manifest counts every row, as pg_dump dumps them
          tables = await countRows(trx);
          schema = await schemaFingerprint(trx);
          written = await writeBackupFile(
            file,
            { ...base, manifest: { tables, schema } },
            () => {
              summing = keyTableChecksums(trx);
              summing.catch(() => {}); // awaited below, once the file is written
              return dump.output;
            },
            config.env.ROSHNI_BACKUP_PASSPHRASE,
            dump.done,
          );
        } catch (error) {
          dump.stop(); // unread, it would wait on its pipe for ever, holding its locks
          throw error;
        }
        return { tables, schema, checksums: await summing, written };
      }),
  );
}

/**
 * The embedded server's base backup into a backup file (`conn`: the backup's one session). The tar is
 * spooled under ROSHNI_HOME first (private, beside the data it copies): the header, written first,
 * holds the manifest, which is counted only at the backup's end.
 */
async function writeEmbeddedBackup(conn: Kysely<any>, config: Config, file: string, kind: BackupKind, at: Date): Promise<WrittenContents> {
  const [{ ensureEmbeddedServer }, { takeBaseBackup }] = await Promise.all([import('../db/embedded-server.js'), import('./embedded-base-backup.js')]);
  const server = await ensureEmbeddedServer(config.home);
  const version = await serverVersion(conn);
  const spool = join(config.home, `backup-spool-${randomBytes(6).toString('hex')}.tgz`);
  return withinFreeSpace(conn, dirname(file), async () => {
    try {
      const estimate = await estimateBackupSize(conn);
      await ensureSpaceFor(config.home, estimate);
      const { tables, checksums, schema } = await takeBaseBackup(conn, server.dataDir, spool, contentsIn).catch(async (error: unknown) => {
        throw isNoSpace(error) ? new BackupDiskFullError(config.home, estimate, await freeBytesIn(config.home)) : error;
      });
      const header = { kind, createdAt: at.toISOString(), serverVersion: version.text, database: 'embedded' as const, payload: 'pg-base-backup-tgz' as const };
      const written = await writeBackupFile(
        file,
        { ...header, manifest: { tables, schema } },
        () => createReadStream(spool),
        config.env.ROSHNI_BACKUP_PASSPHRASE,
      );
      return { tables, checksums, schema, written };
    } finally {
      rmSync(spool, { force: true });
    }
  });
}

/** Writes a consistent backup of the whole database into the backup directory and records it in the log. */
export async function createBackup(database: Database, config: Config, options: BackupOptions): Promise<CreatedBackup> {
  const dir = config.backupDir;
  ensurePrivateDirectory(dir);
  const startedAt = options.clock.now();
  const file = join(dir, backupFileName(options.kind, startedAt));
  // One connection holds the backup's lock from its log row's first sight to its end.
  return database.db.connection().execute(async (conn) => {
    const id = await logRunningBackup(conn, { kind: options.kind, startedAt, file, encrypted: Boolean(config.env.ROSHNI_BACKUP_PASSPHRASE) });
    try {
      const { tables, checksums, schema, written } =
        database.kind === 'postgres'
          ? await writePostgresBackup(conn, config, file, options.kind, startedAt)
          : await writeEmbeddedBackup(conn, config, file, options.kind, startedAt);
      await conn
        .updateTable('backups')
        .set({
          state: 'completed',
          finished_at: options.clock.now(),
          size_bytes: written.sizeBytes,
          sha256: written.sha256,
          manifest: JSON.stringify({ tables, checksums, schema }),
        })
        .where('id', '=', id)
        .execute();
      await releaseBackupLock(conn, id);
      const rotated = await rotateBackups(conn, config, options.clock, file);
      await copyLedgerBesideBackups(conn, config, options.clock);
      return { id, file, kind: options.kind, sizeBytes: written.sizeBytes, sha256: written.sha256, encrypted: written.encrypted, tables, rotated };
    } catch (error) {
      await conn
        .updateTable('backups')
        .set({ state: 'failed', finished_at: options.clock.now(), error: (error as Error).message.slice(0, 500) })
        .where('id', '=', id)
        .where('state', '=', 'running')
        .execute()
        .catch(() => {});
      await releaseBackupLock(conn, id).catch(() => {});
      throw error;
    }
  });
}

/**
 * After each backup, erasures.jsonl is given the ledger rows it lacks (an erasure is copied there when it
 * is made; this catches one whose copy failed). Never fails the backup: the database keeps the ledger.
 */
async function copyLedgerBesideBackups(db: Kysely<any>, config: Config, clock: Clock): Promise<void> {
  try {
    const [{ syncErasureFile }, { systemActor }] = await Promise.all([import('./erasure-reapplication.js'), import('../../domain/actor.js')]);
    await syncErasureFile({ db, clock, timezone: 'UTC', actor: systemActor }, config.backupDir);
  } catch {
    // A database before migration 0023, or a backup folder that refuses the file: `roshni health` reports the folder.
  }
}

export interface BackupListEntry {
  id: number;
  file: string;
  name: string;
  kind: BackupKind;
  /** running, completed, failed, or interrupted (its process stopped before the file was complete). */
  state: string;
  /** Dated after now: made while the clock was ahead (or the clock is behind now). */
  futureDated: boolean;
  startedAt: Date;
  sizeBytes: number | null;
  encrypted: boolean;
  verifiedAt: Date | null;
  verifyOk: boolean | null;
  onDisk: boolean;
}

/**
 * The backup log, newest first, without rotated backups. A running backup whose process is gone, or
 * one recorded as interrupted, is "interrupted"; one dated after `now` is flagged (a clock problem).
 */
export async function listBackups(db: Kysely<DB>, now: Date): Promise<BackupListEntry[]> {
  const rows = await db.selectFrom('backups').selectAll().where('state', '!=', 'rotated').orderBy('started_at', 'desc').orderBy('id', 'desc').execute();
  const dead = new Set(await deadBackups(db));
  return rows.map((r) => {
    let onDisk: boolean;
    try {
      onDisk = Boolean(r.file_path && statSync(r.file_path).isFile());
    } catch {
      onDisk = false;
    }
    const verify = r.verify_result as { ok?: boolean } | null;
    return {
      id: r.id,
      file: r.file_path ?? '',
      name: r.file_path ? basename(r.file_path) : '',
      kind: r.kind,
      state: dead.has(r.id) || (r.state === 'failed' && wasInterrupted(r.error)) ? 'interrupted' : r.state,
      futureDated: r.started_at.getTime() > now.getTime(),
      startedAt: r.started_at,
      sizeBytes: r.size_bytes,
      encrypted: r.encrypted,
      verifiedAt: r.verified_at,
      verifyOk: verify?.ok ?? null,
      onDisk,
    };
  });
}

export type { BackupHeader, BackupKind };
export { backupFileName, backupFilesIn, futureDatedBackups } from './backup-names.js';
