import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { inject } from 'vitest';
import { openPostgres } from '../../src/infra/db/database.js';
import type { DB } from '../../src/infra/db/schema.js';
import { createDatabase, databaseUrl, dropDatabase, TEMPLATE_DATABASE } from './server.js';

export interface TestDatabase {
  /** Connection URL, for tests that open their own connections. */
  url: string;
  db: Kysely<DB>;
  /** Closes the connections and drops the database. */
  close(): Promise<void>;
}

/**
 * A database of one's own on the test server: a copy of the migrated template,
 * or with `empty: true` a database with no schema at all.
 */
export async function createTestDatabase(options: { empty?: boolean } = {}): Promise<TestDatabase> {
  const serverUrl = inject('databaseServerUrl');
  const name = `roshni_test_${randomBytes(6).toString('hex')}`;
  await createDatabase(serverUrl, name, options.empty ? 'template0' : TEMPLATE_DATABASE);
  const url = databaseUrl(serverUrl, name);
  const database = await openPostgres(url);
  return {
    url,
    db: database.db,
    close: async () => {
      await database.close();
      await dropDatabase(serverUrl, name);
    },
  };
}
