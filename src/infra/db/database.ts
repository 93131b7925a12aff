import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Kysely } from 'kysely';
import type { Config } from '../config.js';
import type { DB } from './schema.js';

export type DatabaseKind = 'postgres' | 'embedded';

export interface Database {
  db: Kysely<DB>;
  kind: DatabaseKind;
  /** Where the data lives, for messages: a URL without password, or the embedded data directory. */
  location: string;
  close(): Promise<void>;
  /** The embedded database's own dump: its data directory as a gzipped tarball (for backups). */
  dumpDataDir?: () => Promise<Blob>;
}

// Types that the domain wants as plain JS values: counts and sums as numbers, dates as 'YYYY-MM-DD'.
const INT8 = 20;
const NUMERIC = 1700;
const DATE = 1082;
export const typeParsers: Record<number, (value: string) => unknown> = {
  [INT8]: (value) => Number(value),
  [NUMERIC]: (value) => Number(value),
  [DATE]: (value) => value,
};

/** A pg pool whose values come back as the domain wants them (see typeParsers). */
export function createPool(pg: typeof import('pg').default, url: string, options: { max?: number; keepIdle?: boolean } = {}) {
  const types = {
    getTypeParser: (oid: number, format?: 'text' | 'binary') =>
      typeParsers[oid] ?? pg.types.getTypeParser(oid, format as 'text'),
  };
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    ...(options.keepIdle ? { idleTimeoutMillis: 0 } : {}),
    types: types as never,
  });
  // An idle client that loses its server (a restart) must not crash the process.
  pool.on('error', () => {});
  return pool;
}

export async function openPostgres(url: string, options: { max?: number } = {}): Promise<Database> {
  const [{ default: pg }, { PostgresDialect }, { maskUrlPassword }] = await Promise.all([
    import('pg'),
    import('kysely'),
    import('../config.js'),
  ]);
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: createPool(pg, url, options) }) });
  return { db, kind: 'postgres', location: maskUrlPassword(url), close: () => db.destroy() };
}

export async function openEmbedded(home: string): Promise<Database> {
  const [{ PGlite }, { btree_gist }, { PGliteDialect }, { acquireEmbeddedLock }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('@electric-sql/pglite/contrib/btree_gist'),
    import('./pglite-dialect.js'),
    import('./embedded-lock.js'),
  ]);
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const dataDir = join(home, 'data');
  const release = acquireEmbeddedLock(join(home, 'data.lock'));
  try {
    const parsers = Object.fromEntries(Object.entries(typeParsers).map(([oid, parse]) => [oid, parse]));
    const pglite = await PGlite.create({ dataDir, extensions: { btree_gist }, parsers });
    const db = new Kysely<DB>({ dialect: new PGliteDialect(pglite) });
    return {
      db,
      kind: 'embedded',
      location: dataDir,
      dumpDataDir: () => pglite.dumpDataDir('gzip'),
      close: async () => {
        await db.destroy();
        await pglite.close();
        release();
      },
    };
  } catch (error) {
    release();
    throw error;
  }
}

export function openDatabase(config: Config): Promise<Database> {
  return config.databaseUrl ? openPostgres(config.databaseUrl) : openEmbedded(config.home);
}
