import pg from 'pg';
import { openPostgres } from './database.js';
import { migrateToLatest } from './migrate.js';

// Whole-database chores on a PostgreSQL server: used by the tests, the benchmark and backup checks.

export function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

export async function withServerClient<T>(serverUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function createDatabase(serverUrl: string, name: string, template = 'template0'): Promise<void> {
  await withServerClient(serverUrl, (client) => client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)} TEMPLATE ${pg.escapeIdentifier(template)}`));
}

const OBJECT_IN_USE = '55006';

/**
 * pg's Pool.end() resolves before its connections have finished closing, so a dropped
 * database may still have sessions for a moment: wait for them, and only then force.
 */
export async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  const database = pg.escapeIdentifier(name);
  await withServerClient(serverUrl, async (client) => {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) return;
    await client.query(`ALTER DATABASE ${database} WITH IS_TEMPLATE false`);
    const deadline = Date.now() + 5_000;
    for (;;) {
      try {
        await client.query(`DROP DATABASE ${database}`);
        return;
      } catch (error) {
        if ((error as pg.DatabaseError).code !== OBJECT_IN_USE) throw error;
        if (Date.now() > deadline) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    await client.query(`DROP DATABASE ${database} WITH (FORCE)`);
  });
}

/** A new database with Roshni's whole schema. */
export async function createMigratedDatabase(serverUrl: string, name: string): Promise<string> {
  await createDatabase(serverUrl, name);
  const url = databaseUrl(serverUrl, name);
  const database = await openPostgres(url, { max: 1 });
  try {
    await migrateToLatest(database.db);
  } finally {
    await database.close();
  }
  return url;
}
