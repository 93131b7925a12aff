import pg from 'pg';
import { openPostgres } from '../../src/infra/db/database.js';
import { migrateToLatest } from '../../src/infra/db/migrate.js';

/** Migrated once per run; every test file's database is a copy of it. */
export const TEMPLATE_DATABASE = 'roshni_template';

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

export async function createDatabase(serverUrl: string, name: string, template: string): Promise<void> {
  await withServerClient(serverUrl, (client) =>
    client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)} TEMPLATE ${pg.escapeIdentifier(template)}`),
  );
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

export async function createTemplateDatabase(serverUrl: string): Promise<void> {
  await dropDatabase(serverUrl, TEMPLATE_DATABASE);
  await createDatabase(serverUrl, TEMPLATE_DATABASE, 'template0');
  const template = await openPostgres(databaseUrl(serverUrl, TEMPLATE_DATABASE), { max: 1 });
  try {
    await migrateToLatest(template.db);
  } finally {
    await template.close();
  }
  // CREATE DATABASE … TEMPLATE fails while anyone is connected to the template: allow no one.
  await withServerClient(serverUrl, (client) =>
    client.query(`ALTER DATABASE ${pg.escapeIdentifier(TEMPLATE_DATABASE)} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`),
  );
}
