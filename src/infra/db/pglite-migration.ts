import { renameSync } from 'node:fs';
import pg from 'pg';
import { OperationalError } from '../failure.js';
import { migrateToLatest } from './migrate.js';
import { openPGlite, type OpenedPGlite } from './pglite-files.js';

// Moves the PGlite data directory of earlier releases (ROSHNI_HOME/data) into the new PostgreSQL server,
// losing nothing: both brought to the latest migration, every table's rows copied in one transaction
// (triggers and foreign-key checks off, as a replica applies them: the rows are already the clinic's,
// sealed audit entries included), every sequence set, each table's count compared, then the old
// directory renamed, not deleted.

export interface PGliteMigration {
  tables: number;
  rows: number;
  /** Where the old directory went. */
  movedTo: string;
}

const PAGE = 500;
const SKIPPED = new Set(['public.kysely_migration', 'public.kysely_migration_lock']);
const ident = (name: string) => pg.escapeIdentifier(name);
const qualified = (table: string) => table.split('.').map(ident).join('.');

export async function migrateFromPGlite(sourceDir: string, targetUrl: string, at: Date): Promise<PGliteMigration> {
  const source = await openPGlite(sourceDir);
  const target = new pg.Client({ connectionString: targetUrl });
  try {
    await migrateToLatest(source.db);
    await target.connect();
    const { openPostgres } = await import('./database.js');
    const owner = await openPostgres(targetUrl, { max: 1 });
    try {
      await migrateToLatest(owner.db);
    } finally {
      await owner.close();
    }
    const tables = inDependencyOrder(await tablesOf(source), await foreignKeys(target));
    let rows = 0;
    await target.query('BEGIN');
    try {
      await target.query('SET LOCAL session_replication_role = replica');
      // The target's own rows (those a migration inserts) give way to the clinic's.
      await target.query(`TRUNCATE ${tables.map(qualified).join(', ')}`);
      for (const table of tables) rows += await copyTable(source, target, table);
      await copySequences(source, target);
      await compareCounts(source, target, tables);
      await target.query('COMMIT');
    } catch (error) {
      await target.query('ROLLBACK').catch(() => {});
      throw error;
    }
    await source.close();
    const movedTo = `${sourceDir}.pglite-migrated-${at
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z')}`;
    renameSync(sourceDir, movedTo);
    return { tables: tables.length, rows, movedTo };
  } catch (error) {
    await source.close().catch(() => {});
    throw new OperationalError(
      'database',
      `Moving the embedded database from PGlite (${sourceDir}) to PostgreSQL failed, and ${sourceDir} is unchanged: ${(error as Error).message}`,
      { cause: error },
    );
  } finally {
    await target.end().catch(() => {});
  }
}

async function tablesOf(source: OpenedPGlite): Promise<string[]> {
  const { rows } = await source.pglite.query<{ name: string }>(
    `SELECT table_schema || '.' || table_name AS name FROM information_schema.tables
     WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1`,
  );
  return rows.map((row) => row.name).filter((name) => !SKIPPED.has(name));
}

async function foreignKeys(target: pg.Client): Promise<Array<{ from: string; to: string }>> {
  const { rows } = await target.query<{ from: string; to: string }>(
    `SELECT cn.nspname || '.' || c.relname AS from, fn.nspname || '.' || f.relname AS to
     FROM pg_constraint k
     JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace cn ON cn.oid = c.relnamespace
     JOIN pg_class f ON f.oid = k.confrelid JOIN pg_namespace fn ON fn.oid = f.relnamespace
     WHERE k.contype = 'f'`,
  );
  return rows;
}

/** Referenced tables before those referring to them (a cycle, if any, keeps its tables in name order). */
export function inDependencyOrder(tables: string[], keys: Array<{ from: string; to: string }>): string[] {
  const ordered: string[] = [];
  const placed = new Set<string>();
  const visiting = new Set<string>();
  const visit = (table: string) => {
    if (placed.has(table) || visiting.has(table)) return;
    visiting.add(table);
    for (const key of keys) if (key.from === table && key.to !== table && tables.includes(key.to)) visit(key.to);
    visiting.delete(table);
    placed.add(table);
    ordered.push(table);
  };
  tables.forEach(visit);
  return ordered;
}

/** Rows travel as JSON text and are read back by PostgreSQL's own input functions: every type arrives as it left. */
async function copyTable(source: OpenedPGlite, target: pg.Client, table: string): Promise<number> {
  const [schema, name] = table.split('.') as [string, string];
  const { rows: columns } = await target.query<{ column_name: string }>(
    `SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 AND is_generated = 'NEVER' ORDER BY ordinal_position`,
    [schema, name],
  );
  const list = columns.map((c) => ident(c.column_name)).join(', ');
  let copied = 0;
  for (let offset = 0; ; offset += PAGE) {
    const { rows } = await source.pglite.query<{ page: string; n: number }>(
      `SELECT coalesce(json_agg(t), '[]')::text AS page, count(*)::int AS n FROM (SELECT * FROM ${qualified(table)} ORDER BY ctid LIMIT ${PAGE} OFFSET ${offset}) t`,
    );
    const { page, n } = rows[0]!;
    if (!n) return copied;
    await target.query(
      `INSERT INTO ${qualified(table)} (${list}) OVERRIDING SYSTEM VALUE SELECT ${list} FROM json_populate_recordset(NULL::${qualified(table)}, $1::json)`,
      [page],
    );
    copied += n;
  }
}

async function copySequences(source: OpenedPGlite, target: pg.Client): Promise<void> {
  const { rows } = await source.pglite.query<{ name: string; last: string | number | null }>(
    `SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename) AS name, last_value AS last FROM pg_sequences`,
  );
  for (const { name, last } of rows) {
    if (last === null) await target.query(`ALTER SEQUENCE ${name} RESTART`);
    else await target.query('SELECT setval($1::regclass, $2::bigint, true)', [name, String(last)]);
  }
}

async function compareCounts(source: OpenedPGlite, target: pg.Client, tables: string[]): Promise<void> {
  for (const table of tables) {
    const sql = `SELECT count(*)::int AS n FROM ${qualified(table)}`;
    const [{ rows: was }, { rows: now }] = await Promise.all([source.pglite.query<{ n: number }>(sql), target.query<{ n: number }>(sql)]);
    if (was[0]!.n !== now[0]!.n) throw new Error(`${table} has ${now[0]!.n} rows after the copy, ${was[0]!.n} before`);
  }
}
