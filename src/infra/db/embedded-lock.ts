import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { OperationalError } from '../failure.js';

export class EmbeddedDatabaseBusyError extends OperationalError {
  constructor(readonly pid: number) {
    super(
      'database',
      `The embedded database is in use by another Roshni process (pid ${pid}). ` + 'Stop that process, or set DATABASE_URL to use a PostgreSQL server.',
    );
    this.name = 'EmbeddedDatabaseBusyError';
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * PGlite takes no lock of its own and must never be opened by two processes at once.
 * The lock file holds the owner's pid; a lock left by a process that no longer exists is stale and is cleared.
 */
export function acquireEmbeddedLock(path: string): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        process.off('exit', release);
        rmSync(path, { force: true });
      };
      process.on('exit', release);
      return release;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
      if (Number.isInteger(owner) && owner !== process.pid && isAlive(owner)) {
        throw new EmbeddedDatabaseBusyError(owner);
      }
      rmSync(path, { force: true });
    }
  }
  throw new Error(`Could not take the embedded database lock at ${path}.`);
}
