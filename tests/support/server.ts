import pg from 'pg';
import { createMigratedDatabase, dropDatabase, withServerClient } from '../../src/infra/db/server-admin.js';

export { createDatabase, databaseUrl, dropDatabase } from '../../src/infra/db/server-admin.js';

/** Migrated once per run; every test file's database is a copy of it. */
export const TEMPLATE_DATABASE = 'roshni_template';

export async function createTemplateDatabase(serverUrl: string): Promise<void> {
  await dropDatabase(serverUrl, TEMPLATE_DATABASE);
  await createMigratedDatabase(serverUrl, TEMPLATE_DATABASE);
  // CREATE DATABASE … TEMPLATE fails while anyone is connected to the template: allow no one.
  await withServerClient(serverUrl, (client) =>
    client.query(`ALTER DATABASE ${pg.escapeIdentifier(TEMPLATE_DATABASE)} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`),
  );
}
