import { Kysely, PostgresDialect } from 'kysely';
import type pg from 'pg';
import { isServerDown, startEmbeddedServer } from './embedded-server.js';
import { migrateToLatest, pendingMigrations } from './migrate.js';

/**
 * The pool's first connection, which is also the check that the embedded server runs: only when its
 * socket is missing or refuses is the server started (no extra round trip on every command). For the
 * application (`role`), pending migrations are applied first on that connection, as the owner.
 */
export async function connectStarting(pool: pg.Pool, home: string, options: { role?: string; notice?: (line: string) => void } = {}): Promise<void> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    if (!isServerDown(error)) throw error;
    await startEmbeddedServer(home, options.notice);
    client = await pool.connect();
  }
  try {
    if (options.role) await bringUpToDate(client);
  } finally {
    client.release();
  }
}

async function bringUpToDate(client: pg.PoolClient): Promise<void> {
  // A Kysely over this one connection, which stays the owner's (the application's Kysely steps its own connections down).
  const borrowed = { query: client.query.bind(client), release: () => {} };
  const owner = new Kysely<any>({ dialect: new PostgresDialect({ pool: { connect: async () => borrowed, end: async () => {} } as never }) });
  if ((await pendingMigrations(owner)).length) await migrateToLatest(owner);
}
