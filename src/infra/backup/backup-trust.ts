import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { BackupDamagedError } from './backup-errors.js';
import { inspectBackupFile, type InspectedBackup } from './backup-file.js';
import type { BackupKind } from './backup-header.js';
import { isBackupFileName } from './backup-names.js';
import { OperationalError } from '../failure.js';

// Which backup files Roshni restores and verifies: the ones it made. A file's checksum proves only
// that it is whole (anyone can recompute it), so a file counts as Roshni's when the database's own
// backup log recorded a backup with exactly its SHA-256, or when it is encrypted and its header and
// payload authenticate under the passphrase. Anything else (an unencrypted file while a passphrase is
// set, a file no log records) is refused unless the person restoring says they know where it came from.

/** A completed backup the database's log recorded, with the checksum of the file it wrote. */
export interface RecordedBackup {
  filePath: string | null;
  sha256: string;
  kind: BackupKind;
  startedAt: Date;
}

/** What the person restoring or verifying vouches for, by flag. */
export interface TrustFlags {
  /** --allow-unencrypted: an unencrypted file although ROSHNI_BACKUP_PASSPHRASE is set. */
  allowUnencrypted: boolean;
  /** --file-from-elsewhere: a file the database's backup log does not record (or no log at all). */
  fileFromElsewhere: boolean;
}

export class BackupNotTrustedError extends OperationalError {
  constructor(message: string) {
    super('conflict', message);
    this.name = 'BackupNotTrustedError';
  }
}

/**
 * The backups the database's log records as written (completed, or rotated away since), newest
 * first; null when the database has no backup log (new, empty, or not Roshni's).
 */
export async function readBackupLog(db: Kysely<any>): Promise<RecordedBackup[] | null> {
  const { rows: present } = await sql<{ present: boolean }>`SELECT to_regclass('public.backups') IS NOT NULL AS present`.execute(db);
  if (!present[0]?.present) return null;
  const { rows } = await sql<{ file_path: string | null; sha256: string; kind: BackupKind; started_at: Date | string }>`
    SELECT file_path, sha256, kind::text AS kind, started_at FROM public.backups
    WHERE sha256 IS NOT NULL AND state IN ('completed', 'rotated')
    ORDER BY started_at DESC, id DESC`.execute(db);
  return rows.map((r) => ({ filePath: r.file_path, sha256: r.sha256, kind: r.kind, startedAt: new Date(r.started_at) }));
}

const NO_LOG = 'This database has no backup log (it is new or empty), so nothing here records which backups Roshni made.';

/**
 * `latest`: the newest backup the log records whose file is still where it was written, named as a
 * backup (a restore's safety backup never is), not dated after `now`, and whose checksum is still the
 * one recorded. A recorded file whose contents changed is passed over, and said so.
 */
export async function latestRecordedBackup(log: RecordedBackup[] | null, now: Date, note: (line: string) => void): Promise<string | null> {
  for (const entry of log ?? []) {
    const path = entry.filePath;
    if (!path || !isBackupFileName(basename(path)) || entry.startedAt.getTime() > now.getTime() || !existsSync(path)) continue;
    let sha256: string;
    try {
      sha256 = (await inspectBackupFile(path)).sha256;
    } catch (error) {
      if (!(error instanceof BackupDamagedError)) throw error;
      note(`Passed over ${path}: ${error.message}`);
      continue;
    }
    if (sha256 === entry.sha256) return path;
    note(`Passed over ${path}: its checksum is not the one the backup log recorded for it (the file was replaced or altered).`);
  }
  return null;
}

/** Why `latest` found nothing it may use, and what to do. */
export function noRecordedBackup(log: RecordedBackup[] | null, dir: string): BackupNotTrustedError {
  return new BackupNotTrustedError(
    `${log ? `No backup this database's log records is in place with its recorded checksum.` : NO_LOG} ` +
      `To restore the newest file in ${dir} all the same, if you know where it came from, add --file-from-elsewhere (or name the file).`,
  );
}

/**
 * Refuses a backup Roshni cannot vouch for, before anything is restored or verified from it; returns
 * the notes to print for one accepted on the person's word. Call it after `inspectBackupFile` (the
 * file is whole) and before reading the payload (an encrypted payload authenticates its header then).
 */
export function assertTrustedBackup(backup: InspectedBackup, log: RecordedBackup[] | null, passphrase: string | undefined, flags: TrustFlags): string[] {
  const name = backup.path;
  const notes: string[] = [];
  if (passphrase && !backup.header.encryption) {
    if (!flags.allowUnencrypted) {
      throw new BackupNotTrustedError(
        `${name} is not encrypted, and ROSHNI_BACKUP_PASSPHRASE is set: Roshni encrypts and authenticates every backup it makes with a passphrase, ` +
          'and an unencrypted file proves nothing of who made it. Nothing was changed. If you know where it came from, add --allow-unencrypted.',
      );
    }
    notes.push(`${name} is not encrypted: accepted on your word (--allow-unencrypted).`);
  }
  const recorded = log?.some((entry) => entry.sha256 === backup.sha256) ?? false;
  if (!recorded) {
    if (!flags.fileFromElsewhere) {
      throw new BackupNotTrustedError(
        `${log ? `${name} is not in this database's backup log (no backup Roshni made here has its checksum).` : `${NO_LOG} ${name} is not recorded.`} ` +
          'Nothing was changed. If you know where it came from (another computer, an older copy), add --file-from-elsewhere.',
      );
    }
    notes.push(`${name} is not recorded in this database's backup log: accepted on your word (--file-from-elsewhere).`);
  }
  if (backup.header.encryption && !backup.headerAuthenticated) {
    notes.push(
      `${name} was made before Roshni authenticated backup headers: the passphrase authenticates its payload; ` +
        (recorded ? "the backup log's checksum, the whole file." : 'its header (the manifest) is taken as it is.'),
    );
  }
  return notes;
}
