import { Kysely, type PostgresPool } from 'kysely';
import type { Config } from '../config.js';
import { runMarkedStatementsPrepared } from './prepared-statements.js';
import type { DB } from './schema.js';

export type DatabaseKind = 'postgres' | 'embedded';

export interface Database {
  db: Kysely<DB>;
  kind: DatabaseKind;
  /** Where the data lives, for messages: a URL without password, or the embedded data directory. */
  location: string;
  close(): Promise<void>;
  /** A PGlite database's own dump (backups of the embedded database before it became a PostgreSQL server). */
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
  /** Where the embedded database says what it did once (moved an earlier release's data in); stderr by default. */
  notice?: (line: string) => void;
}

export async function openPostgres(url: string, options: { max?: number } & OpenOptions = {}): Promise<Database> {
  const [{ default: pg }, { maskUrlPassword }] = await Promise.all([import('pg'), import('./connection-url.js')]);
  const db = await steppingDown(createPool(pg, url, options), options.role);
  return { db, kind: 'postgres', location: maskUrlPassword(url), close: () => db.destroy() };
}

/** A Kysely over the pool whose every connection steps down to `role` when it is given. */
async function steppingDown(pool: PostgresPool, role: string | undefined): Promise<Kysely<DB>> {
  const [{ CompiledQuery, PostgresDialect }, { assumeRoleStatement }] = await Promise.all([import('kysely'), import('./row-security.js')]);
  return new Kysely<DB>({
    dialect: new PostgresDialect({
      pool,
      ...(role ? { onCreateConnection: (connection) => connection.executeQuery(CompiledQuery.raw(assumeRoleStatement(role))).then(() => {}) } : {}),
    }),
  });
}

/**
 * The embedded default: the PostgreSQL server under ROSHNI_HOME/pg (embedded-server.ts), over its unix
 * socket. The pool's first connection tells whether it runs; only when nobody answers is it started
 * (and later ones start it again after a crash: restartingPool). Opened for the application, its
 * schema is first brought up to date, as its owner.
 */
export async function openEmbedded(home: string, options: { max?: number } & OpenOptions = {}): Promise<Database> {
  const [{ default: pg }, { embeddedServerLayout }, { connectStarting, restartingPool }] = await Promise.all([
    import('pg'),
    import('./embedded-server-layout.js'),
    import('./embedded-connection.js'),
  ]);
  const layout = embeddedServerLayout(home);
  const pool = createPool(pg, layout.url, options);
  try {
    await connectStarting(pool, home, options);
  } catch (error) {
    await pool.end().catch(() => {});
    throw error;
  }
  const db = await steppingDown(restartingPool(pool, home, options), options.role);
  return { db, kind: 'embedded', location: layout.dataDir, close: () => db.destroy() };
}

export function openDatabase(config: Config, options: OpenOptions = {}): Promise<Database> {
  return config.databaseUrl ? openPostgres(config.databaseUrl, options) : openEmbedded(config.home, options);
}
