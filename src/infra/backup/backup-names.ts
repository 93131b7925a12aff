import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config } from '../config.js';
import { OperationalError } from '../failure.js';
import type { BackupKind } from './backup-header.js';

// Backup files are named by their type and the time they were started: roshni-<type>-<UTC>.backup.

const FILE_PATTERN = /^roshni-(manual|daily|weekly|monthly)-(\d{8}T\d{9}Z)\.backup$/;

export function backupFileName(kind: BackupKind, at: Date): string {
  return `roshni-${kind}-${at.toISOString().replace(/[-:.]/g, '')}.backup`;
}

/** Whether a file name is a backup's (`roshni-<type>-<UTC>.backup`; a restore's safety backup is not). */
export function isBackupFileName(name: string): boolean {
  return FILE_PATTERN.test(name);
}

/** Backup files in the directory, newest first (their names sort by time). */
export function backupFilesIn(dir: string): Array<{ path: string; kind: BackupKind; stamp: string }> {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .map((name) => ({ name, match: FILE_PATTERN.exec(name) }))
    .filter((f) => f.match)
    .map((f) => ({ path: join(dir, f.name), kind: f.match![1] as BackupKind, stamp: f.match![2]! }))
    .sort((a, b) => b.stamp.localeCompare(a.stamp));
}

/** When a backup's file name says it was made (its start, by the clock of the machine that made it). */
export function backupTime(stamp: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z$/.exec(stamp)!;
  return new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${m[7]}Z`);
}

/** Backup files dated after `now`: made while a clock was ahead. Never `latest`, never rotated away. */
export function futureDatedBackups(dir: string, now: Date): Array<{ path: string; kind: BackupKind; at: Date }> {
  return backupFilesIn(dir)
    .map((f) => ({ path: f.path, kind: f.kind, at: backupTime(f.stamp) }))
    .filter((f) => f.at.getTime() > now.getTime());
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
