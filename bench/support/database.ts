import { randomBytes } from 'node:crypto';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { createPool } from '../../src/infra/db/database.js';
import { createMigratedDatabase, dropDatabase, withServerClient } from '../../src/infra/db/server-admin.js';
import type { DB } from '../../src/infra/db/schema.js';

// Databases for benchmarks: each benchmark gets a fresh, migrated database of its own on the server.

export async function serverVersion(serverUrl: string): Promise<string> {
  return withServerClient(serverUrl, async (client) => (await client.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!.v);
}

/** Creates and migrates a database named after the benchmark, runs `work` on its URL, then drops it. */
export async function withFreshDatabase<T>(serverUrl: string, label: string, work: (url: string) => Promise<T>): Promise<T> {
  const name = `bench_${label.toLowerCase().replace(/[^a-z0-9]+/g, '_')}_${randomBytes(4).toString('hex')}`;
  try {
    return await work(await createMigratedDatabase(serverUrl, name));
  } finally {
    await dropDatabase(serverUrl, name);
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
  // Idle connections stay open: a batch must not pay for reconnecting after a long sequential one.
  const pool = createPool(pg, url, { max, keepIdle: true });
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  // Kysely's destroy() ends the pool it was given.
  return { pool, db, close: () => db.destroy() };
}
