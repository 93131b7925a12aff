import { sql, type Kysely } from 'kysely';
import { MIGRATION_NAMES } from './migration-names.js';

const UNDEFINED_TABLE = '42P01';

/**
 * Every command asks this before it starts, so it reads Kysely's migration table directly, in one
 * statement: the Migrator's own status first introspects every column of every table (about 12 ms of
 * server time), and needs the migrations loaded. A database never migrated has no such table.
 */
export async function pendingMigrations(db: Kysely<any>): Promise<string[]> {
  const executed = await sql<{ name: string }>`SELECT name FROM kysely_migration`.execute(db).then(
    ({ rows }) => new Set(rows.map((row) => row.name)),
    (error: unknown) => {
      if ((error as { code?: string }).code === UNDEFINED_TABLE) return new Set<string>();
      throw error;
    },
  );
  return MIGRATION_NAMES.filter((name) => !executed.has(name));
}
