import { readdirSync } from 'node:fs';
import { Migrator, NO_MIGRATIONS, sql, type Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrations } from '../../migrations/index.js';
import { migrateToLatest } from '../../src/infra/db/migrate.js';
import { MIGRATION_NAMES } from '../../src/infra/db/migration-names.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

const migrationsDir = new URL('../../migrations/', import.meta.url);
const names = Object.keys(migrations);

/** Tables, sequences, types and functions in the public schema, apart from extensions' and Kysely's own. */
async function publicSchemaObjects(db: Kysely<any>): Promise<string[]> {
  const { rows } = await sql<{ object: string }>`
    WITH ours AS (
      SELECT 'pg_class'::regclass AS catalog, c.oid, 'relation ' || c.relname AS object
        FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relname NOT LIKE 'kysely_migration%'
      UNION ALL
      SELECT 'pg_type'::regclass, t.oid, 'type ' || t.typname
        FROM pg_type t -- array and row types come and go with their element type and table
        WHERE t.typnamespace = 'public'::regnamespace AND t.typcategory <> 'A' AND t.typrelid = 0
      UNION ALL
      SELECT 'pg_proc'::regclass, p.oid, 'function ' || p.proname
        FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace
    )
    SELECT object FROM ours
    WHERE NOT EXISTS (
      SELECT 1 FROM pg_depend d WHERE d.classid = ours.catalog AND d.objid = ours.oid AND d.deptype = 'e'
    )
    ORDER BY object
  `.execute(db);
  return rows.map((r) => r.object);
}

describe('migrations', () => {
  // Each test starts from an empty database of its own.
  let database: TestDatabase;

  beforeEach(async () => {
    database = await createTestDatabase({ empty: true });
  });
  afterEach(() => database?.close());

  it('lists every file of migrations/ in migrations/index.ts, in name order', () => {
    const files = readdirSync(migrationsDir)
      .filter((file) => file.endsWith('.ts') && file !== 'index.ts')
      .map((file) => file.replace(/\.ts$/, ''));
    expect(names).toEqual([...files].sort());
    for (const name of names) {
      expect(migrations[name]?.up, name).toBeTypeOf('function');
      expect(migrations[name]?.down, name).toBeTypeOf('function');
    }
  });

  it('names every migration in src/infra/db/migration-names.ts, which the commands check the schema with', () => {
    expect(MIGRATION_NAMES).toEqual(names);
  });

  it('apply up from an empty database, and a second run applies nothing', async () => {
    expect(await publicSchemaObjects(database.db)).toEqual([]);
    expect((await migrateToLatest(database.db)).applied).toEqual(names);
    expect((await migrateToLatest(database.db)).applied).toEqual([]);
  });

  it('go down in reverse order to an empty public schema, and up again', async () => {
    await migrateToLatest(database.db);
    const migrator = new Migrator({ db: database.db, provider: { getMigrations: async () => migrations } });
    const down = await migrator.migrateTo(NO_MIGRATIONS);
    expect(down.error).toBeUndefined();
    expect(down.results?.map((r) => [r.migrationName, r.direction, r.status])).toEqual([...names].reverse().map((name) => [name, 'Down', 'Success']));
    expect(await publicSchemaObjects(database.db)).toEqual([]);

    expect((await migrateToLatest(database.db)).applied).toEqual(names);
  });
});
