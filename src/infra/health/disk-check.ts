import { statfs as statfsCallback } from 'node:fs';
import { dirname } from 'node:path';
import type { Verdict } from './external-services.js';
import type { DiskSpace } from './health-report.js';

const DISK_FAIL_BYTES = 200 * 1024 ** 2;
const DISK_WARN_BYTES = 1024 ** 3;

/** What the checks reach outside the process; tests replace these (a full disk, say). */
export const healthProbes = {
  diskSpace: (path: string) => systemDiskSpace(path),
};

export function systemDiskSpace(path: string): Promise<DiskSpace> {
  return new Promise((resolve, reject) =>
    statfsCallback(path, (error, stats) =>
      error ? reject(error) : resolve({ freeBytes: stats.bavail * stats.bsize, totalBytes: stats.blocks * stats.bsize }),
    ),
  );
}

/** The nearest existing directory at or above `path` (ROSHNI_HOME may not exist yet). */
async function existingAncestor(path: string, diskSpace: (path: string) => Promise<DiskSpace>): Promise<DiskSpace> {
  let current = path;
  for (;;) {
    try {
      return await diskSpace(current);
    } catch (error) {
      const parent = dirname(current);
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || parent === current) throw error;
      current = parent;
    }
  }
}

/** Free space under ROSHNI_HOME: fails under 200 MB or 2%, warns under 1 GB or 10%. */
export async function diskCheck(home: string, diskSpace: (path: string) => Promise<DiskSpace>): Promise<Verdict> {
  const { freeBytes, totalBytes } = await existingAncestor(home, diskSpace);
  const percent = totalBytes ? (freeBytes / totalBytes) * 100 : 0;
  const detail = `${(freeBytes / 1024 ** 3).toFixed(1)} GB free (${percent.toFixed(0)}%) under ${home}`;
  if (freeBytes < DISK_FAIL_BYTES || percent < 2) return { status: 'fail', detail };
  if (freeBytes < DISK_WARN_BYTES || percent < 10) return { status: 'warn', detail };
  return { status: 'ok', detail };
}
