import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import type { Config } from '../config.js';
import { authenticatePayload, inspectBackupFile, openPayload, readPayload } from './backup-file.js';
import { countRows } from './backups.js';
import { findPostgresTool, runPgRestore } from './pg-tools.js';

export class RestoreRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RestoreRefusedError';
  }
}

export interface RestoreResult {
  file: string;
  database: 'postgres' | 'embedded';
  tables: Array<{ table: string; expected: number; actual: number | null }>;
  ok: boolean;
  /** Embedded only: where the data directory that was replaced was kept. */
  previousDataDir: string | null;
}

const BOOKKEEPING = new Set(['kysely_migration', 'kysely_migration_lock']);

function rowsOfClinic(counts: Record<string, number>): number {
  return Object.entries(counts).reduce((sum, [table, n]) => (BOOKKEEPING.has(table) ? sum : sum + n), 0);
}

function compare(expected: Record<string, number>, actual: Record<string, number>) {
  const tables = Object.entries(expected).map(([table, count]) => ({ table, expected: count, actual: actual[table] ?? null }));
  return { tables, ok: tables.every((t) => t.actual === t.expected) };
}

/**
 * Restores a backup over the configured database. A database holding any clinic data is replaced only
 * with `force`; the file's checksum is checked before anything is touched.
 */
export async function restoreBackup(file: string, config: Config, options: { force: boolean; progress: (line: string) => void }): Promise<RestoreResult> {
  const backup = await inspectBackupFile(file);
  const passphrase = config.env.ROSHNI_BACKUP_PASSPHRASE;
  const expected = backup.header.manifest.tables;
  const total = Object.keys(expected).length;
  if (config.databaseUrl) {
    if (backup.header.payload !== 'pg_dump-custom') {
      throw new RestoreRefusedError('This is a backup of the embedded database: restore it with DATABASE_URL unset.');
    }
    await authenticatePayload(backup, passphrase);
    const { openPostgres } = await import('../db/database.js');
    const target = await openPostgres(config.databaseUrl, { max: 1 });
    let major: number;
    try {
      const existing = await countRows(target.db);
      const rows = rowsOfClinic(existing);
      if (rows > 0 && !options.force) {
        throw new RestoreRefusedError(`The database is not empty (${rows} rows): add --force to replace it with the backup.`);
      }
      const { rows: version } = await sql<{ server_version: string }>`SHOW server_version`.execute(target.db);
      major = Number(/^(\d+)/.exec(version[0]!.server_version)![1]);
      options.progress(rows > 0 ? `Replacing a database of ${rows} rows…` : 'Restoring into an empty database…');
      await sql`DROP SCHEMA IF EXISTS public CASCADE`.execute(target.db);
      await sql`CREATE SCHEMA public`.execute(target.db);
    } finally {
      await target.close();
    }
    let done = 0;
    await runPgRestore(findPostgresTool('pg_restore', major), config.databaseUrl, await openPayload(backup, passphrase), (table) =>
      options.progress(`  ${++done}/${total} ${table}`),
    );
    const restored = await openPostgres(config.databaseUrl, { max: 1 });
    try {
      return { file, database: 'postgres', ...compare(expected, await countRows(restored.db)), previousDataDir: null };
    } finally {
      await restored.close();
    }
  }

  if (backup.header.payload !== 'pglite-datadir-tgz') {
    throw new RestoreRefusedError('This is a backup of a PostgreSQL server: set DATABASE_URL to the server to restore it into.');
  }
  const payload = await readPayload(backup, passphrase);
  const [{ PGlite }, { btree_gist }, { PGliteDialect }, { acquireEmbeddedLock }, { Kysely }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('@electric-sql/pglite/contrib/btree_gist'),
    import('../db/pglite-dialect.js'),
    import('../db/embedded-lock.js'),
    import('kysely'),
  ]);
  mkdirSync(config.home, { recursive: true, mode: 0o700 });
  const release = acquireEmbeddedLock(join(config.home, 'data.lock'));
  const dataDir = join(config.home, 'data');
  const incoming = join(config.home, `data.restoring-${randomBytes(4).toString('hex')}`);
  const count = async (pglite: InstanceType<typeof PGlite>) => {
    const db = new Kysely<any>({ dialect: new PGliteDialect(pglite) });
    try {
      return await countRows(db);
    } finally {
      await db.destroy();
    }
  };
  try {
    if (existsSync(dataDir)) {
      const current = await PGlite.create({ dataDir, extensions: { btree_gist } });
      let rows: number;
      try {
        rows = rowsOfClinic(await count(current));
      } finally {
        await current.close();
      }
      if (rows > 0 && !options.force) {
        throw new RestoreRefusedError(`The embedded database is not empty (${rows} rows): add --force to replace it with the backup.`);
      }
    }
    options.progress('Unpacking the backup…');
    const restored = await PGlite.create({ dataDir: incoming, loadDataDir: new Blob([payload]), extensions: { btree_gist } });
    let result: ReturnType<typeof compare>;
    try {
      result = compare(expected, await count(restored));
    } finally {
      await restored.close();
    }
    if (!result.ok) {
      rmSync(incoming, { recursive: true, force: true });
      return { file, database: 'embedded', ...result, previousDataDir: null };
    }
    let previousDataDir: string | null = null;
    if (existsSync(dataDir)) {
      previousDataDir = join(config.home, `data.before-restore-${new Date().toISOString().replace(/[-:.]/g, '')}`);
      renameSync(dataDir, previousDataDir);
    }
    renameSync(incoming, dataDir);
    options.progress(`  ${total}/${total} tables`);
    return { file, database: 'embedded', ...result, previousDataDir };
  } catch (error) {
    rmSync(incoming, { recursive: true, force: true });
    throw error;
  } finally {
    release();
  }
}
