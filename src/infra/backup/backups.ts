import { randomBytes } from 'node:crypto';
import { createReadStream, readdirSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { sql, type Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import { ConfigError, type Config } from '../config.js';
import { pgliteParsers, type Database } from '../db/database.js';
import type { DB } from '../db/schema.js';
import { declareActor, ownerAtWork } from '../db/row-security.js';
import { createDatabase, databaseUrl, dropDatabase } from '../db/server-admin.js';
import { ensurePrivateDirectory } from '../private-directory.js';
import {
  assertDataDirReadable,
  authenticatePayload,
  inspectBackupFile,
  openPayload,
  readPayload,
  writeBackupFile,
  type BackupHeader,
  type BackupKind,
  type BackupManifest,
  type InspectedBackup,
  type WrittenBackup,
} from './backup-file.js';
import { backupFileName, backupFilesIn, backupTime } from './backup-names.js';
import { assertTrustedBackup, BackupNotTrustedError, readBackupLog, type TrustFlags } from './backup-trust.js';
import { deadBackups, logRunningBackup, releaseBackupLock, settleDeadBackups, wasInterrupted } from './backup-log.js';
import { BackupDiskFullError, ensureSpaceFor, freeBytesIn, isNoSpace } from './disk-space.js';
import { findPostgresTool, runPgRestore, startPgDump } from './pg-tools.js';
import { fingerprintDifferences, schemaFingerprint, type SchemaFingerprint } from './schema-fingerprint.js';
import type { ErasureEntry } from './erasure-ledger-file.js';
import { OperationalError } from '../failure.js';

// `roshni backup`: make, rotate, verify and restore backups of the whole database.

/**
 * A backup is the owner's work: every row of every table, clinical records included. A connection that
 * stepped down to an application role (roshni start's, as roshni_service) returns to the user it signed
 * in as for this transaction only; if that user is not the owner either, the count is refused and the
 * backup fails loudly (README: backups need the owner's credentials).
 */
async function asTheOwner(trx: Kysely<any>): Promise<void> {
  await sql`SET LOCAL ROLE NONE`.execute(trx);
  await ownerAtWork(trx);
}

/** Row counts of every table in the public schema, in the caller's transaction (its snapshot). */
export async function countRows(db: Kysely<any>): Promise<Record<string, number>> {
  const { rows } = await sql<{ table_name: string }>`
    SELECT table_name FROM information_schema.tables
    WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`.execute(db);
  const counts: Record<string, number> = {};
  if (!rows.length) return counts;
  // One statement for every table: the counting sits before the dump starts, so round trips count.
  const each = rows.map(({ table_name }) => sql`SELECT ${table_name}::text AS t, count(*) AS n FROM ${sql.table(table_name)}`);
  const result = await sql<{ t: string; n: string | number }>`${sql.join(each, sql` UNION ALL `)}`.execute(db);
  for (const { t, n } of result.rows) counts[t] = Number(n);
  return Object.fromEntries(rows.map(({ table_name }) => [table_name, counts[table_name]!]));
}

/**
 * The tables whose rows, not only their number, a verified backup must reproduce: people, money and
 * session notes. The schedule (appointments, slots: the bulk of the rows) is checked by its counts:
 * summing it would cost the nightly backup about half as much again as pg_dump itself.
 */
export const KEY_TABLES = ['patients', 'guardians', 'payments', 'refunds', 'receipts', 'therapy_sessions'] as const;

/**
 * A checksum of each key table's rows as text, in the caller's transaction (its snapshot). The
 * settings that shape a row's text (time zone, date and float formats) are fixed for the transaction,
 * so the same rows give the same sum in any session, on the server or in PGlite.
 */
export async function keyTableChecksums(trx: Kysely<any>): Promise<Record<string, string>> {
  await sql`SELECT set_config('timezone', 'UTC', true), set_config('datestyle', 'ISO, YMD', true),
                   set_config('intervalstyle', 'postgres', true), set_config('extra_float_digits', '1', true)`.execute(trx);
  const sums: Record<string, string> = {};
  for (const table of KEY_TABLES) {
    const { rows } = await sql<{ present: boolean }>`SELECT to_regclass(${`public.${table}`}) IS NOT NULL AS present`.execute(trx);
    if (!rows[0]?.present) continue;
    // A sum of 64-bit hashes of the rows: independent of their order, so no sort, and cheap beside the dump.
    const result = await sql<{ sum: string }>`
      SELECT count(*) || ':' || coalesce(sum(hashtextextended(t::text, 0)), 0) AS sum FROM ${sql.table(table)} t`.execute(trx);
    sums[table] = result.rows[0]!.sum;
  }
  return sums;
}

type Contents = { tables: Record<string, number>; checksums: Record<string, string>; schema: SchemaFingerprint };

/** Row counts, key tables' checksums and the schema's fingerprint, in the caller's transaction, of every row (as the system). */
async function contentsIn(trx: Kysely<any>): Promise<Contents> {
  await asTheOwner(trx);
  await declareActor(trx, { role: 'system' });
  return { tables: await countRows(trx), checksums: await keyTableChecksums(trx), schema: await schemaFingerprint(trx) };
}

/** The same, in a transaction of its own. */
async function describeContents(db: Kysely<any>): Promise<Contents> {
  return db.transaction().execute(contentsIn);
}

export async function serverVersion(db: Kysely<any>): Promise<{ text: string; major: number }> {
  const { rows } = await sql<{ server_version: string }>`SHOW server_version`.execute(db);
  const text = rows[0]!.server_version;
  return { text, major: Number(/^(\d+)/.exec(text)![1]) };
}

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

/** `latest` (the newest backup not dated in the future) or a path: the file to verify or restore. */
export function resolveBackupFile(config: Config, ref: string, now: Date): string {
  if (ref === 'latest') {
    const newest = backupFilesIn(config.backupDir).find((f) => backupTime(f.stamp).getTime() <= now.getTime());
    if (!newest) throw new BackupNotFoundError(`There is no backup in ${config.backupDir} yet: make one with \`roshni backup create\`.`);
    return newest.path;
  }
  const path = resolve(ref);
  try {
    statSync(path);
  } catch {
    const inDir = join(config.backupDir, ref);
    try {
      statSync(inDir);
      return inDir;
    } catch {
      throw new BackupNotFoundError(`No backup file at ${ref}.`);
    }
  }
  return path;
}

export class BackupNotFoundError extends OperationalError {
  constructor(message: string) {
    super('not_found', message);
    this.name = 'BackupNotFoundError';
  }
}

export interface TableComparison {
  table: string;
  expected: number;
  actual: number | null;
}

export interface VerifyResult {
  file: string;
  ok: boolean;
  sha256: string;
  problem: string | null;
  tables: TableComparison[];
  /** The key tables' checksums, restored against the manifest's (none for backups made before them). */
  checksums: Array<{ table: string; expected: string; actual: string | null }>;
  /** What was accepted on the person's word (a file from elsewhere, unencrypted, an old header). */
  notes: string[];
  /**
   * The patients the erasure ledger records as erased whom the backup still holds (a restore of it
   * erases them again): how many, and their P-numbers. Null when no ledger was given.
   */
  erasedPatients: { recorded: number; stillHeld: number; patientNumbers: string[] } | null;
}

export const PGLITE_BACKUP_NOTE =
  'This backup was made when the embedded database was PGlite (an earlier Roshni): it verifies in an in-memory PGlite, but does not restore into the embedded server (README: "Backups").';

export interface VerifyOptions {
  /** The database whose backup log says which files Roshni made, and where the result is recorded. */
  db?: Kysely<DB>;
  trust: TrustFlags;
  /** The erasures recorded so far (the ledger and erasures.jsonl): the result says how many of those patients the backup still holds. */
  erasures?: ErasureEntry[];
}

function compareCounts(expected: Record<string, number>, actual: Record<string, number>): TableComparison[] {
  return Object.entries(expected).map(([table, count]) => ({ table, expected: count, actual: actual[table] ?? null }));
}

/** Loads the payload into a scratch database (a temporary one on the server, or an in-memory PGlite): its row counts and key tables' checksums. */
async function countInScratch(
  backup: InspectedBackup,
  config: Config,
  passphrase: string | undefined,
  erasures: ErasureEntry[] | undefined,
): Promise<{ tables: Record<string, number>; checksums: Record<string, string>; schema: SchemaFingerprint; erasedStillHeld: ErasureEntry[] | null }> {
  /** The recorded erasures whose patient the backup holds unerased (a restore of it erases them again). */
  const erasedIn = async (db: Kysely<any>): Promise<ErasureEntry[] | null> => {
    if (!erasures) return null;
    const { erasureStanding } = await import('../../domain/data-rights/reapply-erasures.js');
    return (await erasureStanding({ db }, erasures)).stillHeld;
  };
  if (backup.header.payload === 'pg-base-backup-tgz') {
    const { readBaseBackup } = await import('./base-backup-scratch.js');
    return readBaseBackup(backup, config.home, passphrase, async (db) => ({ ...(await describeContents(db)), erasedStillHeld: await erasedIn(db) }));
  }
  if (backup.header.payload === 'pglite-datadir-tgz') {
    const [{ PGlite }, { btree_gist }] = await Promise.all([import('@electric-sql/pglite'), import('@electric-sql/pglite/contrib/btree_gist')]);
    const payload = await readPayload(backup, passphrase);
    await assertDataDirReadable(backup, payload);
    const pglite = await PGlite.create({ loadDataDir: new Blob([payload]), extensions: { btree_gist }, parsers: pgliteParsers() });
    try {
      const { Kysely: K } = await import('kysely');
      const { PGliteDialect } = await import('../db/pglite-dialect.js');
      const db = new K<any>({ dialect: new PGliteDialect(pglite) });
      const contents = { ...(await describeContents(db)), erasedStillHeld: await erasedIn(db) };
      await db.destroy();
      return contents;
    } finally {
      await pglite.close();
    }
  }
  if (!config.databaseUrl) {
    throw new BackupNotFoundError('This is a backup of a PostgreSQL server: set DATABASE_URL to a server where a scratch database may be created.');
  }
  await authenticatePayload(backup, passphrase);
  const scratch = `roshni_verify_${randomBytes(6).toString('hex')}`;
  const { openPostgres } = await import('../db/database.js');
  try {
    await createDatabase(config.databaseUrl, scratch);
  } catch (error) {
    if ((error as { code?: string }).code !== '42501') throw error;
    throw new ConfigError(
      'DATABASE_URL',
      'names a user that may not create databases, and verifying restores the backup into a scratch one: give it CREATEDB ' +
        '(ALTER ROLE … CREATEDB), or verify with a URL whose user may. Nothing was changed',
    );
  }
  try {
    const url = databaseUrl(config.databaseUrl, scratch);
    const probe = await openPostgres(url, { max: 1 });
    let major: number;
    try {
      major = (await serverVersion(probe.db)).major;
    } finally {
      await probe.close();
    }
    await runPgRestore(findPostgresTool('pg_restore', major), url, await openPayload(backup, passphrase));
    const scratchDb = await openPostgres(url, { max: 1 });
    try {
      return { ...(await describeContents(scratchDb.db)), erasedStillHeld: await erasedIn(scratchDb.db) };
    } finally {
      await scratchDb.close();
    }
  } finally {
    await dropDatabase(config.databaseUrl, scratch);
  }
}

/** The key tables' checksums the backup log recorded for this file when it was made (none without the log). */
async function loggedChecksums(db: Kysely<DB> | undefined, file: string, sha256: string): Promise<Record<string, string>> {
  if (!db) return {};
  const row = await db
    .selectFrom('backups')
    .select('manifest')
    .where('file_path', '=', file)
    .where('sha256', '=', sha256)
    .orderBy('id', 'desc')
    .executeTakeFirst();
  return (row?.manifest as BackupManifest | null)?.checksums ?? {};
}

/**
 * Checks the file's checksum, refuses a file Roshni cannot vouch for (`assertTrustedBackup`: even a
 * scratch restore runs the archive's SQL as the owner), restores it into a scratch database and
 * compares the row counts per table with its manifest. The result is recorded against the backup in
 * the log when `db` is given.
 */
export async function verifyBackup(file: string, config: Config, clock: Clock, options: VerifyOptions): Promise<VerifyResult> {
  const { db } = options;
  const log = db ? await readBackupLog(db) : null;
  let result: VerifyResult;
  let notes: string[] = [];
  try {
    const backup = await inspectBackupFile(file);
    notes = assertTrustedBackup(backup, log, config.env.ROSHNI_BACKUP_PASSPHRASE, options.trust);
    if (backup.header.payload === 'pglite-datadir-tgz') notes.push(PGLITE_BACKUP_NOTE);
    const actual = await countInScratch(backup, config, config.env.ROSHNI_BACKUP_PASSPHRASE, options.erasures);
    const erasedPatients = actual.erasedStillHeld
      ? { recorded: options.erasures!.length, stillHeld: actual.erasedStillHeld.length, patientNumbers: actual.erasedStillHeld.map((e) => e.patientNumber) }
      : null;
    const tables = compareCounts(backup.header.manifest.tables, actual.tables);
    const expectedSums = backup.header.manifest.checksums ?? (await loggedChecksums(db, file, backup.sha256));
    const checksums = Object.entries(expectedSums).map(([table, sum]) => ({ table, expected: sum, actual: actual.checksums[table] ?? null }));
    const wrong = tables.filter((t) => t.actual !== t.expected);
    const altered = checksums.filter((c) => c.actual !== c.expected);
    const schemaDifferences = backup.header.manifest.schema ? fingerprintDifferences(backup.header.manifest.schema, actual.schema) : [];
    const problems = [
      ...(schemaDifferences.length ? [`the schema differs from the manifest: ${schemaDifferences.join(', ')}`] : []),
      ...(wrong.length ? [`row counts differ from the manifest in ${wrong.map((t) => t.table).join(', ')}`] : []),
      ...(altered.length ? [`checksums differ from the manifest in ${altered.map((c) => c.table).join(', ')}`] : []),
    ];
    result = { file, ok: problems.length === 0, sha256: backup.sha256, problem: problems.join('; ') || null, tables, checksums, notes, erasedPatients };
  } catch (error) {
    const name = (error as Error).name;
    if (error instanceof BackupNotTrustedError) throw error; // refused before anything was read: not a verification
    if (
      !['BackupDamagedError', 'BackupContentsDamagedError', 'BackupUndecryptableError', 'BackupPassphraseError', 'PostgresToolError'].includes(name) &&
      !/auth/i.test((error as Error).message)
    )
      throw error;
    result = { file, ok: false, sha256: '', problem: (error as Error).message, tables: [], checksums: [], notes, erasedPatients: null };
  }
  if (db) {
    await db
      .updateTable('backups')
      .set({
        ...(result.ok ? { verified_at: clock.now() } : {}),
        verify_result: JSON.stringify({ ok: result.ok, problem: result.problem, at: clock.now().toISOString() }),
      })
      .where('file_path', '=', file)
      // A pass is recorded only against the backup with this very content: a file put in a recorded
      // backup's place does not make that backup "verified" (a failure is worth recording either way).
      .$if(result.ok, (qb) => qb.where('sha256', '=', result.sha256))
      .execute();
  }
  return result;
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
