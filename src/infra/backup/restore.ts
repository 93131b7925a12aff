import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import { authenticatePayload, inspectBackupFile, openPayload, type InspectedBackup } from './backup-file.js';
import { chooseBackupFile } from './backup-choice.js';
import { INTERRUPTED_BY_RESTORE } from './backup-log.js';
import { ErasureReapplicationError, gatherErasures, reapplyAfterRestore, type GatheredErasures } from './erasure-reapplication.js';
import type { ReapplyReport } from '../../domain/data-rights/reapply-erasures.js';
import { assertTrustedBackup, readBackupLog, type RecordedBackup, type TrustFlags } from './backup-trust.js';
import { countRows, safetyBackupName, serverVersion, writePostgresBackup } from './backups.js';
import { findPostgresTool, PostgresToolError, replaceWithArchive } from './pg-tools.js';
import { fingerprintDifferences, SCHEMA_FINGERPRINT_QUERY, type SchemaFingerprint } from './schema-fingerprint.js';
import { recordRestoreSafely, rememberBeforeRestore, type RestoreFacts, type RestoreMemory, type RestoreRecord } from './restore-record.js';
import { OperationalError } from '../failure.js';

export class RestoreRefusedError extends OperationalError {
  constructor(message: string) {
    super('conflict', message);
    this.name = 'RestoreRefusedError';
  }
}

export class RestoreRolledBackError extends OperationalError {
  constructor(detail: string) {
    super('unexpected', `The restore failed and was rolled back (${detail}): the database is as it was.`);
    this.name = 'RestoreRolledBackError';
  }
}

export interface RestoreOptions {
  force: boolean;
  /** What the person vouches for: a file the target's backup log does not record, an unencrypted one. */
  trust: TrustFlags;
  progress: (line: string) => void;
  clock: Clock;
  /**
   * The session of the member of staff signed in on this machine (ROSHNI_SESSION or `roshni login`'s file)
   * and the machine as sessions name it: the restore is audited as done by them (see restore-record.ts).
   */
  who?: { token: string; machine: string };
  /** Tests only: a failure injected once an embedded restore has swapped the data directories (embedded-restore.ts). */
  faultAfterSwap?: () => void | Promise<void>;
}

export interface RestoreResult {
  file: string;
  /** What was accepted on the person's word (see `assertTrustedBackup`). */
  notes: string[];
  database: 'postgres' | 'embedded';
  tables: Array<{ table: string; expected: number; actual: number | null }>;
  ok: boolean;
  /** Whether the backup carried a schema fingerprint to check the restored schema against. */
  schemaChecked: boolean;
  /** The parts of the schema that did not restore as recorded ("constraints 219 → 147"). */
  schemaDifferences: string[];
  /** PostgreSQL only: the backup taken of the replaced database just before the restore. */
  safetyBackup: string | null;
  /** Embedded only: where the data directory that was replaced was kept. */
  previousDataDir: string | null;
  /**
   * The erasure ledger applied again to the restored database (null: the restore did not go through):
   * `recorded` erasures known before the restore, the patients erased again, the ledger rows put back.
   */
  erasures: (ReapplyReport & { recorded: number }) | null;
  /**
   * What the restore wrote in the restored database (null: it did not go through, or could not be recorded):
   * its audit entry, who restored, and the backup log's rows and verifications kept across it.
   */
  recorded: RestoreRecord | null;
}

const BOOKKEEPING = new Set(['kysely_migration', 'kysely_migration_lock']);

export function rowsOfClinic(counts: Record<string, number>): number {
  return Object.entries(counts).reduce((sum, [table, n]) => (BOOKKEEPING.has(table) ? sum : sum + n), 0);
}

export function compare(expected: Record<string, number>, actual: Record<string, number | null>) {
  const tables = Object.entries(expected).map(([table, count]) => ({ table, expected: count, actual: actual[table] ?? null }));
  return { tables, ok: tables.every((t) => t.actual === t.expected) };
}

const MISMATCH = 'roshni-restore-mismatch';
const SCHEMA_MISMATCH = 'roshni-restore-schema-mismatch';

function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * SQL run in the restore's own transaction once the backup is loaded: it refuses (rolling the whole
 * restore back) when a table's row count differs from the manifest, and it settles the backup log.
 * The backup was taken while its own row said "running": that row becomes the completed backup it
 * is, and any other backup still running at that moment is marked interrupted (it never finished here).
 * Last, the application role's grants are given again (pg_restore --no-privileges restores none).
 */
export function restoreEpilogue(backup: InspectedBackup, finishedAt: Date): string {
  const { header } = backup;
  const manifest = JSON.stringify(header.manifest);
  const values = [manifest, header.kind, header.createdAt, finishedAt.toISOString(), backup.sha256];
  const tag = '$roshni_restore$';
  if (values.some((v) => v.includes(tag)) || !/^(manual|daily|weekly|monthly)$/.test(header.kind)) {
    throw new RestoreRefusedError('The backup header is not one Roshni wrote.');
  }
  return `DO ${tag}
DECLARE
  expected jsonb := ${literal(manifest)}::jsonb -> 'tables';
  expected_schema jsonb := ${literal(manifest)}::jsonb -> 'schema';
  actual_schema jsonb;
  saved_path text := current_setting('search_path');
  t text;
  n bigint;
  differ text[] := '{}';
BEGIN
  FOR t IN SELECT jsonb_object_keys(expected) LOOP
    n := NULL;
    IF to_regclass(format('public.%I', t)) IS NOT NULL THEN
      EXECUTE format('SELECT count(*) FROM public.%I', t) INTO n;
    END IF;
    IF n IS DISTINCT FROM (expected ->> t)::bigint THEN
      differ := differ || format('%s=%s', t, coalesce(n::text, 'missing'));
    END IF;
  END LOOP;
  IF cardinality(differ) > 0 THEN
    RAISE EXCEPTION '${MISMATCH} [%]', array_to_string(differ, ',');
  END IF;
  IF expected_schema IS NOT NULL THEN
    PERFORM set_config('search_path', 'pg_catalog', true);
    EXECUTE ${literal(SCHEMA_FINGERPRINT_QUERY)} INTO actual_schema;
    PERFORM set_config('search_path', saved_path, true);
    IF actual_schema IS DISTINCT FROM expected_schema THEN
      RAISE EXCEPTION '${SCHEMA_MISMATCH} %', actual_schema::text;
    END IF;
  END IF;
  IF to_regclass('public.backups') IS NOT NULL THEN
    UPDATE public.backups
      SET state = 'completed', finished_at = ${literal(finishedAt.toISOString())}, size_bytes = ${backup.sizeBytes},
          sha256 = ${literal(backup.sha256)}, manifest = ${literal(manifest)}::jsonb
      WHERE state = 'running' AND kind = ${literal(header.kind)}::public.backup_kind AND started_at = ${literal(header.createdAt)}::timestamptz;
    UPDATE public.backups
      SET state = 'failed', finished_at = coalesce(finished_at, ${literal(header.createdAt)}::timestamptz),
          error = ${literal(INTERRUPTED_BY_RESTORE)}
      WHERE state = 'running';
  END IF;
  IF to_regprocedure('public.roshni_grant_app_role()') IS NOT NULL THEN
    PERFORM public.roshni_grant_app_role();
  END IF;
  IF to_regprocedure('roshni_auth.grant_roles()') IS NOT NULL THEN
    PERFORM roshni_auth.grant_roles();
  END IF;
  -- Sessions open when the backup was taken would come back to life (some ended since): everyone signs in again.
  IF to_regclass('roshni_auth.sessions') IS NOT NULL THEN
    UPDATE roshni_auth.sessions SET ended_at = now(), ended_why = 'restored' WHERE ended_at IS NULL;
  END IF;
END ${tag};`;
}

/** The schema a refused restore found, from the epilogue's error, as the parts that differ from the manifest's. */
export function schemaMismatchOf(error: unknown, expected: SchemaFingerprint | undefined): string[] | null {
  const match = new RegExp(`${SCHEMA_MISMATCH} (\\{.*\\})`).exec((error as Error)?.message ?? '');
  if (!match || !expected) return null;
  return fingerprintDifferences(expected, JSON.parse(match[1]!) as SchemaFingerprint);
}

/** The row counts a refused restore found, from the epilogue's error. */
function mismatchOf(error: unknown, expected: Record<string, number>): Record<string, number | null> | null {
  const match = new RegExp(`${MISMATCH} \\[([^\\]]*)\\]`).exec((error as Error)?.message ?? '');
  if (!match) return null;
  const actual: Record<string, number | null> = { ...expected };
  for (const pair of match[1]!.trim().split(',')) {
    const [table, count] = pair.split('=');
    if (table) actual[table] = count === 'missing' || count === undefined ? null : Number(count);
  }
  return actual;
}

/**
 * The backup `ref` names, checked whole and vouched for against the target's backup log before
 * anything is read from it (see `assertTrustedBackup`); its notes are printed as progress.
 */
export async function chosenBackup(
  ref: string,
  config: Config,
  options: RestoreOptions,
  log: RecordedBackup[] | null,
): Promise<{ backup: InspectedBackup; notes: string[] }> {
  const file = await chooseBackupFile(config, ref, options.clock.now(), log, options.trust, options.progress);
  options.progress(`Restoring ${file}…`);
  const backup = await inspectBackupFile(file);
  const notes = assertTrustedBackup(backup, log, config.env.ROSHNI_BACKUP_PASSPHRASE, options.trust);
  notes.forEach((line) => options.progress(line));
  if (!backup.header.manifest.schema) {
    options.progress('This backup was made before Roshni recorded the schema in it: the restore is checked by its row counts only.');
  }
  return { backup, notes };
}

/**
 * Restores a backup (`ref`: a file, or `latest`) over the configured database. The backup must be
 * one the database's own backup log records, or be vouched for by flag; a database holding any
 * clinic data is replaced only with `force`; the file's checksum is checked before anything is touched.
 */
export async function restoreBackup(ref: string, config: Config, options: RestoreOptions): Promise<RestoreResult> {
  if (config.databaseUrl) return restorePostgres(ref, config, config.databaseUrl, options);
  const { restoreEmbedded } = await import('./embedded-restore.js');
  return restoreEmbedded(ref, config, options);
}

async function restorePostgres(ref: string, config: Config, databaseUrl: string, options: RestoreOptions): Promise<RestoreResult> {
  const passphrase = config.env.ROSHNI_BACKUP_PASSPHRASE;
  const { openPostgres } = await import('../db/database.js');
  const target = await openPostgres(databaseUrl, { max: 2 });
  let backup: InspectedBackup;
  let notes: string[];
  let major: number;
  let safetyBackup: string | null = null;
  let gathered: GatheredErasures;
  let memory: RestoreMemory;
  try {
    ({ backup, notes } = await chosenBackup(ref, config, options, await readBackupLog(target.db)));
    if (backup.header.payload !== 'pg_dump-custom') {
      throw new RestoreRefusedError('This is a backup of the embedded database: restore it with DATABASE_URL unset.');
    }
    await authenticatePayload(backup, passphrase);
    const existing = await countRows(target.db);
    const rows = rowsOfClinic(existing);
    // The erasures recorded so far (the ledger and erasures.jsonl): the restore applies them again.
    gathered = await gatherErasures(target.db, config.backupDir, options.clock);
    if (gathered.unreadable) options.progress(`${gathered.unreadable} line(s) of the erasure ledger's file could not be read: they are skipped.`);
    if (rows > 0 && !options.force) {
      throw new RestoreRefusedError(`The database is not empty (${rows} rows): add --force to replace it with the backup.`);
    }
    // The backup log and who is restoring, written back after the restore (restore-record.ts).
    memory = await rememberBeforeRestore(target.db, options.who);
    major = (await serverVersion(target.db)).major;
    // With erasures to apply again, even an empty database is kept first: a failed re-application rolls back to it.
    if (rows > 0 || gathered.entries.length > 0) {
      options.progress(`Taking a safety backup of the ${rows} rows about to be replaced…`);
      safetyBackup = join(config.backupDir, safetyBackupName(options.clock.now()));
      await writePostgresBackup(target.db, config, safetyBackup, 'manual', options.clock.now());
      options.progress(`  kept at ${safetyBackup}`);
    }
    options.progress(rows > 0 ? `Replacing a database of ${rows} rows…` : 'Restoring into an empty database…');
  } finally {
    await target.close();
  }
  const file = backup.path;
  const expected = backup.header.manifest.tables;
  const total = Object.keys(expected).length;
  const pgRestore = findPostgresTool('pg_restore', major);
  const besideIt = join(dirname(pgRestore), 'psql');
  const psql = existsSync(besideIt) ? besideIt : findPostgresTool('psql', major);
  let done = 0;
  const outcome = {
    file,
    notes,
    database: 'postgres' as const,
    schemaChecked: Boolean(backup.header.manifest.schema),
    safetyBackup,
    previousDataDir: null,
    erasures: null,
    recorded: null,
  };
  try {
    // Dropping the old schema, loading the backup and checking it are one transaction: a restore
    // that fails at any point (a damaged archive, a full disk, a wrong count or schema) leaves the old data.
    await replaceWithArchive(
      { pgRestore, psql },
      databaseUrl,
      await openPayload(backup, passphrase),
      {
        before: 'DROP SCHEMA IF EXISTS roshni_auth CASCADE; DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;',
        after: restoreEpilogue(backup, statSync(file).mtime),
      },
      // The manifest counts the clinic's tables; roshni_auth's (sign-in) load too, unnumbered.
      (table) => options.progress(table in expected ? `  ${++done}/${total} ${table}` : `  ${table}`),
    );
  } catch (error) {
    if (!(error instanceof PostgresToolError)) throw error;
    const actual = mismatchOf(error, expected);
    if (actual) return { ...outcome, ...compare(expected, actual), schemaDifferences: [] };
    const schemaDifferences = schemaMismatchOf(error, backup.header.manifest.schema);
    if (schemaDifferences) return { ...outcome, ...compare(expected, expected), ok: false, schemaDifferences };
    throw new RestoreRolledBackError(error.message);
  }
  const { erasures, recorded } = await reapplyOrRollBack(databaseUrl, config, options, {
    backup: file,
    safetyBackup,
    gathered,
    pgRestore,
    psql,
    memory,
    facts: factsOf(backup, 'postgres', safetyBackup, options),
  });
  return { ...outcome, ...compare(expected, expected), schemaDifferences: [], erasures, recorded };
}

/**
 * The erasures recorded after the backup was made, applied again to the restored server database. If
 * that fails, the restore is undone from its safety backup (the database as it was, every erasure in it):
 * a restored database must never hold a patient the clinic erased.
 */
async function reapplyOrRollBack(
  databaseUrl: string,
  config: Config,
  options: RestoreOptions,
  run: {
    backup: string;
    safetyBackup: string | null;
    gathered: GatheredErasures;
    pgRestore: string;
    psql: string;
    memory: RestoreMemory;
    facts: Omit<RestoreFacts, 'reErased'>;
  },
): Promise<{ erasures: ReapplyReport & { recorded: number }; recorded: RestoreRecord | null }> {
  const { openPostgres } = await import('../db/database.js');
  let failure: ErasureReapplicationError;
  try {
    const target = await openPostgres(databaseUrl, { max: 2 });
    try {
      const erasures = await reapplyAfterRestore(target.db, {
        backupDir: config.backupDir,
        backupFile: run.backup,
        gathered: run.gathered,
        clock: options.clock,
        progress: options.progress,
      });
      // Done: what the restore must not forget, and the restore itself, recorded in the restored database.
      const recorded = await recordRestoreSafely(target.db, run.memory, { ...run.facts, reErased: erasures.reErased.length }, options.clock, options.progress);
      return { erasures, recorded };
    } finally {
      await target.close();
    }
  } catch (error) {
    failure =
      error instanceof ErasureReapplicationError
        ? error
        : new ErasureReapplicationError(`the erasure ledger could not be read back (${(error as Error).message})`);
  }
  if (!run.safetyBackup) {
    throw new ErasureReapplicationError(
      `The backup was restored, but ${failure.message}. Patients the clinic erased may be back in the database: erase them again with \`roshni patient erase\` (${erasedList(run.gathered)}).`,
    );
  }
  options.progress(`Applying the erasures again failed: putting the database back from the safety backup ${run.safetyBackup}…`);
  try {
    const safety = await inspectBackupFile(run.safetyBackup);
    await replaceWithArchive(
      { pgRestore: run.pgRestore, psql: run.psql },
      databaseUrl,
      await openPayload(safety, config.env.ROSHNI_BACKUP_PASSPHRASE),
      {
        before: 'DROP SCHEMA IF EXISTS roshni_auth CASCADE; DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;',
        after: restoreEpilogue(safety, statSync(run.safetyBackup).mtime),
      },
      () => {},
    );
  } catch (rollback) {
    throw new ErasureReapplicationError(
      `The backup was restored, but ${failure.message}; putting the database back from ${run.safetyBackup} failed too (${(rollback as Error).message}). ` +
        `Patients the clinic erased may be back in the database: erase them again with \`roshni patient erase\` (${erasedList(run.gathered)}), or restore ${run.safetyBackup}.`,
    );
  }
  throw new RestoreRolledBackError(`${failure.message}; the database was put back from the safety backup ${run.safetyBackup}`);
}

/** What the restore's audit entry says of it (restore-record.ts). */
export function factsOf(
  backup: InspectedBackup,
  database: 'postgres' | 'embedded',
  safetyBackup: string | null,
  options: RestoreOptions,
): Omit<RestoreFacts, 'reErased'> {
  return {
    backup,
    database,
    safetyBackup,
    force: options.force,
    fromElsewhere: options.trust.fileFromElsewhere,
    machine: options.who?.machine ?? '',
  };
}

function erasedList(gathered: GatheredErasures): string {
  return gathered.entries.map((e) => e.patientNumber).join(', ') || 'see the erasure ledger';
}
