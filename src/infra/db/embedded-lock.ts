import { OperationalError } from '../failure.js';
import { tryPidLock } from './pid-lock.js';

// PGlite's exclusive lock: only a restore of a PGlite backup (src/infra/backup/restore.ts) still opens
// PGlite in place. The live embedded database is a PostgreSQL server (embedded-server.ts).

export class EmbeddedDatabaseBusyError extends OperationalError {
  constructor(readonly pid: number) {
    super(
      'database',
      `The embedded database is in use by another Roshni process (pid ${pid}). ` + 'Stop that process, or set DATABASE_URL to use a PostgreSQL server.',
    );
    this.name = 'EmbeddedDatabaseBusyError';
  }
}

/** PGlite takes no lock of its own and must never be opened by two processes at once. */
export function acquireEmbeddedLock(path: string): () => void {
  const attempt = tryPidLock(path);
  if ('heldBy' in attempt) throw new EmbeddedDatabaseBusyError(attempt.heldBy);
  return attempt.release;
}
