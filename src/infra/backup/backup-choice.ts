import type { Config } from '../config.js';
import { resolveBackupFile } from './backups.js';
import { latestRecordedBackup, noRecordedBackup, type RecordedBackup, type TrustFlags } from './backup-trust.js';

/**
 * The file `roshni backup verify|restore <ref>` means: a path as given, or for `latest` the newest
 * backup the database's log records (see `latestRecordedBackup`). Only with --file-from-elsewhere does
 * `latest` fall back to the newest file in the backup folder, which anyone who can write there chose.
 */
export async function chooseBackupFile(
  config: Config,
  ref: string,
  now: Date,
  log: RecordedBackup[] | null,
  flags: TrustFlags,
  note: (line: string) => void,
): Promise<string> {
  if (ref !== 'latest') return resolveBackupFile(config, ref, now);
  const recorded = await latestRecordedBackup(log, now, note);
  if (recorded) return recorded;
  if (!flags.fileFromElsewhere) throw noRecordedBackup(log, config.backupDir);
  const newest = resolveBackupFile(config, 'latest', now);
  note(`No backup this database's log records is in place: taking the newest file in ${config.backupDir} (--file-from-elsewhere).`);
  return newest;
}
