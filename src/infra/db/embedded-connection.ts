import { Kysely, PostgresDialect } from 'kysely';
import type pg from 'pg';
import { isServerDown, startEmbeddedServer } from './embedded-server.js';
import { clearStoppedByHand, EmbeddedServerStoppedError, isStoppedByHand } from './embedded-stop-marker.js';
import { pendingMigrations } from './pending-migrations.js';

interface ConnectOptions {
  role?: string;
  notice?: (line: string) => void;
}

/**
 * The pool's first connection, which is also the check that the embedded server runs: only when its
 * socket is missing or refuses is the server started (no extra round trip on every command). This is a
 * command a person ran, so a server stopped with `roshni db stop` is started too. For the application
 * (`role`), pending migrations are applied first on that connection, as the owner.
 */
export async function connectStarting(pool: pg.Pool, home: string, options: ConnectOptions = {}): Promise<void> {
  const { client } = await connectOrStart(pool, home, { notice: options.notice, refuseIfStoppedByHand: false });
  clearStoppedByHand(home);
  try {
    if (options.role) await bringUpToDate(client);
  } finally {
    client.release();
  }
}

/**
 * What Kysely is given instead of the pool: every later connection that finds the server down (it
 * crashed or was killed while `roshni start` ran) starts it again and tries once more, so a long-running
 * process comes back by itself. Not after `roshni db stop`: that connection fails instead, as a database
 * away, until a command starts the server. Two connections at once start it once (the start lock).
 * A restore holds the start lock while it swaps data directories, so a connection arriving then waits
 * for it, and starts the restored data (or finds it started), never the directory being moved.
 */
export function restartingPool(pool: pg.Pool, home: string, options: Pick<ConnectOptions, 'notice'> = {}) {
  return {
    connect: async (): Promise<pg.PoolClient> => {
      const { client, started } = await connectOrStart(pool, home, { notice: options.notice, refuseIfStoppedByHand: true });
      if (started) options.notice?.('The embedded database had stopped (crashed or killed): started it again.');
      return client;
    },
    end: () => pool.end(),
  };
}

/**
 * A connection from the pool; a server found down is started first, then connected to again, unless it
 * was stopped with `roshni db stop` and `refuseIfStoppedByHand` (a long-running process, not a person).
 */
async function connectOrStart(
  pool: pg.Pool,
  home: string,
  options: { notice?: (line: string) => void; refuseIfStoppedByHand: boolean },
): Promise<{ client: pg.PoolClient; started: boolean }> {
  try {
    return { client: await pool.connect(), started: false };
  } catch (error) {
    if (!isServerDown(error)) throw error;
    if (options.refuseIfStoppedByHand && isStoppedByHand(home)) throw new EmbeddedServerStoppedError({ cause: error });
    const { started } = await startEmbeddedServer(home, options.notice);
    return { client: await pool.connect(), started };
  }
}

async function bringUpToDate(client: pg.PoolClient): Promise<void> {
  // A Kysely over this one connection, which stays the owner's (the application's Kysely steps its own connections down).
  const borrowed = { query: client.query.bind(client), release: () => {} };
  const owner = new Kysely<any>({ dialect: new PostgresDialect({ pool: { connect: async () => borrowed, end: async () => {} } as never }) });
  // The migrations themselves are loaded only when some are pending (most commands find none).
  if ((await pendingMigrations(owner)).length) await (await import('./migrate.js')).migrateToLatest(owner);
}
