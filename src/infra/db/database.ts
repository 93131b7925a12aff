import { join } from 'node:path';
import { Kysely } from 'kysely';
import type { Config } from '../config.js';
import { ensurePrivateDirectory, tightenTree } from '../private-directory.js';
import { runMarkedStatementsPrepared } from './prepared-statements.js';
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

/** PGlite's parsers for the same values: every PGlite the domain reads through (the clinic's, a restore's, a verify's) needs them. */
export const pgliteParsers = (): Record<string, (value: string) => unknown> => ({ ...typeParsers });

/** A pg pool whose values come back as the domain wants them (see typeParsers). */
export function createPool(pg: typeof import('pg').default, url: string, options: { max?: number; keepIdle?: boolean } = {}) {
  const types = {
    getTypeParser: (oid: number, format?: 'text' | 'binary') => typeParsers[oid] ?? pg.types.getTypeParser(oid, format as 'text'),
  };
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    // TCP keepalive: a server that vanishes without closing the connection (a network cut, not a
    // restart) is noticed in minutes instead of a query waiting for ever.
    keepAlive: true,
    ...(options.keepIdle ? { idleTimeoutMillis: 0 } : {}),
    types: types as never,
  });
  // A client that loses its server (a restart) emits 'error', and an 'error' nobody listens to
  // ends the process. The pool listens only while a client is idle in it; a client checked out
  // (a transaction between two statements) is listened to here. Its queries fail by themselves,
  // and the pool drops it when it comes back.
  pool.on('error', () => {});
  pool.on('connect', (client) => {
    client.on('error', () => {});
    runMarkedStatementsPrepared(client as never);
  });
  return pool;
}

export interface OpenOptions {
  /**
   * Opened for the application: every connection steps down to this role (roshni_staff or roshni_service,
   * src/infra/db/row-security.ts). The embedded database is first brought up to date, as its owner.
   * Without it (migrations, backups, restores, health) the connecting user's own rights apply.
   */
  role?: string;
}

export async function openPostgres(url: string, options: { max?: number } & OpenOptions = {}): Promise<Database> {
  const [{ default: pg }, { CompiledQuery, PostgresDialect }, { maskUrlPassword }, { assumeRoleStatement }] = await Promise.all([
    import('pg'),
    import('kysely'),
    import('./connection-url.js'),
    import('./row-security.js'),
  ]);
  const db = new Kysely<DB>({
    dialect: new PostgresDialect({
      pool: createPool(pg, url, options),
      ...(options.role
        ? { onCreateConnection: (connection) => connection.executeQuery(CompiledQuery.raw(assumeRoleStatement(options.role!))).then(() => {}) }
        : {}),
    }),
  });
  return { db, kind: 'postgres', location: maskUrlPassword(url), close: () => db.destroy() };
}

export async function openEmbedded(home: string, options: OpenOptions = {}): Promise<Database> {
  const [{ PGlite }, { btree_gist }, { PGliteDialect }, { acquireEmbeddedLock }, { sql }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('@electric-sql/pglite/contrib/btree_gist'),
    import('./pglite-dialect.js'),
    import('./embedded-lock.js'),
    import('kysely'),
  ]);
  // Whoever can read these files can read all the clinic's data: its owner only.
  ensurePrivateDirectory(home);
  const dataDir = join(home, 'data');
  ensurePrivateDirectory(dataDir);
  const release = acquireEmbeddedLock(join(home, 'data.lock'));
  try {
    const pglite = await PGlite.create({ dataDir, extensions: { btree_gist }, parsers: pgliteParsers() });
    // PGlite makes its files 0666 whatever the umask: its owner's alone, when opened and when closed.
    tightenTree(dataDir);
    const db = new Kysely<DB>({ dialect: new PGliteDialect(pglite) });
    if (options.role) {
      try {
        const [{ migrateToLatest }, { assumeRoleStatement }] = await Promise.all([import('./migrate.js'), import('./row-security.js')]);
        await migrateToLatest(db); // as its owner; then the one session steps down
        await sql.raw(assumeRoleStatement(options.role)).execute(db);
      } catch (error) {
        await pglite.close().catch(() => {});
        throw error;
      }
    }
    return {
      db,
      kind: 'embedded',
      location: dataDir,
      dumpDataDir: () => pglite.dumpDataDir('gzip'),
      close: async () => {
        await db.destroy();
        await pglite.close();
        tightenTree(dataDir);
        release();
      },
    };
  } catch (error) {
    release();
    throw error;
  }
}

export function openDatabase(config: Config, options: OpenOptions = {}): Promise<Database> {
  return config.databaseUrl ? openPostgres(config.databaseUrl, options) : openEmbedded(config.home, options);
}
