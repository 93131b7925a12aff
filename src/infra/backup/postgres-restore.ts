import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Config } from '../config.js';
import type { ReapplyReport } from '../../domain/data-rights/reapply-erasures.js';
import { inspectBackupFile, type InspectedBackup } from './backup-file.js';
import { authenticatePayload, openPayload } from './backup-payload.js';
import { readBackupLog } from './backup-trust.js';
import { countRows, safetyBackupName, serverVersion, writePostgresBackup } from './backups.js';
import { ErasureReapplicationError, gatherErasures, reapplyAfterRestore, type GatheredErasures } from './erasure-reapplication.js';
import { findPostgresTool, PostgresToolError, replaceWithArchive } from './pg-tools.js';
import { chosenBackup, compare, factsOf, RestoreRefusedError, RestoreRolledBackError, rowsOfClinic } from './restore.js';
import type { RestoreOptions, RestoreResult } from './restore.js';
import { mismatchOf, restoreEpilogue, schemaMismatchOf } from './restore-epilogue.js';
import { recordRestoreSafely, rememberBeforeRestore, type RestoreFacts, type RestoreMemory, type RestoreRecord } from './restore-record.js';

// A restore of a PostgreSQL server (DATABASE_URL): pg_restore piped into psql in one transaction,
// the erasures recorded since applied again after it, and the safety backup put back if that fails.

export async function restorePostgres(ref: string, config: Config, databaseUrl: string, options: RestoreOptions): Promise<RestoreResult> {
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
    await replaceDatabase({ pgRestore, psql }, databaseUrl, backup, await openPayload(backup, passphrase), (table) =>
      // The manifest counts the clinic's tables; roshni_auth's (sign-in) load too, unnumbered.
      options.progress(table in expected ? `  ${++done}/${total} ${table}` : `  ${table}`),
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
 * Drops the database's schemas, loads `backup` and checks it, all in one transaction: a restore that
 * fails at any point (a damaged archive, a full disk, a wrong count or schema) leaves the old data.
 */
function replaceDatabase(
  tools: { pgRestore: string; psql: string },
  databaseUrl: string,
  backup: InspectedBackup,
  payload: Readable,
  onTable: (table: string) => void,
): Promise<void> {
  const before = 'DROP SCHEMA IF EXISTS roshni_auth CASCADE; DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;';
  return replaceWithArchive(tools, databaseUrl, payload, { before, after: restoreEpilogue(backup, statSync(backup.path).mtime) }, onTable);
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
    await replaceDatabase(run, databaseUrl, safety, await openPayload(safety, config.env.ROSHNI_BACKUP_PASSPHRASE), () => {});
  } catch (rollback) {
    throw new ErasureReapplicationError(
      `The backup was restored, but ${failure.message}; putting the database back from ${run.safetyBackup} failed too (${(rollback as Error).message}). ` +
        `Patients the clinic erased may be back in the database: erase them again with \`roshni patient erase\` (${erasedList(run.gathered)}), or restore ${run.safetyBackup}.`,
    );
  }
  throw new RestoreRolledBackError(`${failure.message}; the database was put back from the safety backup ${run.safetyBackup}`);
}

function erasedList(gathered: GatheredErasures): string {
  return gathered.entries.map((e) => e.patientNumber).join(', ') || 'see the erasure ledger';
}
