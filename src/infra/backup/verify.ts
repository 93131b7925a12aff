import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import { ConfigError, type Config } from '../config.js';
import { pgliteParsers } from '../db/database.js';
import type { DB } from '../db/schema.js';
import { createDatabase, databaseUrl, dropDatabase } from '../db/server-admin.js';
import { inspectBackupFile, type InspectedBackup } from './backup-file.js';
import type { BackupManifest } from './backup-header.js';
import { assertDataDirReadable, authenticatePayload, openPayload, readPayload } from './backup-payload.js';
import { describeContents, serverVersion } from './backup-contents.js';
import { BackupNotFoundError } from './backup-names.js';
import { assertTrustedBackup, BackupNotTrustedError, readBackupLog, type TrustFlags } from './backup-trust.js';
import type { ErasureEntry } from './erasure-ledger-file.js';
import { findPostgresTool, runPgRestore } from './pg-tools.js';
import { fingerprintDifferences, type SchemaFingerprint } from './schema-fingerprint.js';

// `roshni backup verify`: a backup restored where it harms nothing, and compared with its manifest.

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
