import { statfs } from 'node:fs/promises';
import { OperationalError } from '../failure.js';

// A full backup disk is said plainly: which directory, how much the backup needs, how much is free.

function megabytes(bytes: number): string {
  return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
}

export class BackupDiskFullError extends OperationalError {
  constructor(
    readonly dir: string,
    readonly neededBytes: number,
    readonly freeBytes: number,
  ) {
    super(
      'disk_full',
      `Not enough space in ${dir}: the backup needs about ${megabytes(neededBytes)} and ${megabytes(freeBytes)} is free. ` +
        'Nothing was written: free some space there or set ROSHNI_BACKUP_DIR to a larger disk.',
    );
    this.name = 'BackupDiskFullError';
  }
}

export async function freeBytesIn(dir: string): Promise<number> {
  const stats = await statfs(dir);
  return stats.bavail * stats.bsize;
}

/** Refuses up front when the directory has less free space than the estimate. */
export async function ensureSpaceFor(dir: string, estimatedBytes: number): Promise<void> {
  const free = await freeBytesIn(dir);
  if (free < estimatedBytes) throw new BackupDiskFullError(dir, estimatedBytes, free);
}

export function isNoSpace(error: unknown): boolean {
  return (error as { code?: string })?.code === 'ENOSPC';
}
