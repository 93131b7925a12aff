import { randomBytes } from 'node:crypto';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { openPostgres, typeParsers } from '../../src/infra/db/database.js';
import { migrateToLatest } from '../../src/infra/db/migrate.js';
import type { DB } from '../../src/infra/db/schema.js';

// Databases for benchmarks: each benchmark gets a fresh, migrated database of its own on the server.

async function withAdmin<T>(serverUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export function databaseUrl(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function serverVersion(serverUrl: string): Promise<string> {
  return withAdmin(serverUrl, async (client) => (await client.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!.v);
}

/** Creates and migrates a database named after the benchmark, runs `work` on its URL, then drops it. */
export async function withFreshDatabase<T>(serverUrl: string, label: string, work: (url: string) => Promise<T>): Promise<T> {
  const name = `bench_${label.toLowerCase().replace(/[^a-z0-9]+/g, '_')}_${randomBytes(4).toString('hex')}`;
  await withAdmin(serverUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  try {
    const url = databaseUrl(serverUrl, name);
    const database = await openPostgres(url, { max: 1 });
    try {
      await migrateToLatest(database.db);
    } finally {
      await database.close();
    }
    return await work(url);
  } finally {
    await withAdmin(serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  }
}

export interface BenchPool {
  /** The raw pool, for baseline SQL. */
  pool: pg.Pool;
  /** Kysely over the very same pool, for the domain. */
  db: Kysely<DB>;
  close(): Promise<void>;
}

/** One pg pool configured as openPostgres configures it, shared by Kysely and raw SQL. */
export function openBenchPool(url: string, max: number): BenchPool {
  const types = {
    getTypeParser: (oid: number, format?: 'text' | 'binary') => typeParsers[oid] ?? pg.types.getTypeParser(oid, format as 'text'),
  };
  // Idle connections stay open: a batch must not pay for reconnecting after a long sequential one.
  const pool = new pg.Pool({ connectionString: url, max, idleTimeoutMillis: 0, types: types as never });
  pool.on('error', () => {});
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  // Kysely's destroy() ends the pool it was given.
  return { pool, db, close: () => db.destroy() };
}
