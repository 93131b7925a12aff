import { sql, type Kysely } from 'kysely';
import { MIGRATION_NAMES } from './migration-names.js';

/**
 * Every command asks this before it starts, so it reads Kysely's migration table directly: the
 * Migrator's own status first introspects every column of every table (about 12 ms of server time),
 * and needs the migrations loaded.
 */
export async function pendingMigrations(db: Kysely<any>): Promise<string[]> {
  const { rows: table } = await sql<{ present: boolean }>`SELECT to_regclass('kysely_migration') IS NOT NULL AS present`.execute(db);
  if (!table[0]?.present) return [...MIGRATION_NAMES];
  const { rows } = await sql<{ name: string }>`SELECT name FROM kysely_migration`.execute(db);
  const executed = new Set(rows.map((row) => row.name));
  return MIGRATION_NAMES.filter((name) => !executed.has(name));
}
