import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { ReapplyReport } from '../../domain/data-rights/reapply-erasures.js';
import { inspectBackupFile, type InspectedBackup } from './backup-file.js';
import { chooseBackupFile } from './backup-choice.js';
import { assertTrustedBackup, type RecordedBackup, type TrustFlags } from './backup-trust.js';
import type { RestoreFacts, RestoreRecord } from './restore-record.js';
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
  if (config.databaseUrl) {
    const { restorePostgres } = await import('./postgres-restore.js');
    return restorePostgres(ref, config, config.databaseUrl, options);
  }
  const { restoreEmbedded } = await import('./embedded-restore.js');
  return restoreEmbedded(ref, config, options);
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
