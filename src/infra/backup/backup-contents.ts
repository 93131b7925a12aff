import { sql, type Kysely } from 'kysely';
import { declareActor, ownerAtWork } from '../db/row-security.js';
import { schemaFingerprint, type SchemaFingerprint } from './schema-fingerprint.js';

// What a backup's manifest says of a database (row counts, key tables' checksums, the schema's
// fingerprint), read the same way when it is made, verified and restored.

/**
 * A backup is the owner's work: every row of every table, clinical records included. A connection that
 * stepped down to an application role (roshni start's, as roshni_service) returns to the user it signed
 * in as for this transaction only; if that user is not the owner either, the count is refused and the
 * backup fails loudly (README: backups need the owner's credentials).
 */
export async function asTheOwner(trx: Kysely<any>): Promise<void> {
  await sql`SET LOCAL ROLE NONE`.execute(trx);
  await ownerAtWork(trx);
}

/** Row counts of every table in the public schema, in the caller's transaction (its snapshot). */
export async function countRows(db: Kysely<any>): Promise<Record<string, number>> {
  const { rows } = await sql<{ table_name: string }>`
    SELECT table_name FROM information_schema.tables
    WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`.execute(db);
  const counts: Record<string, number> = {};
  if (!rows.length) return counts;
  // One statement for every table: the counting sits before the dump starts, so round trips count.
  const each = rows.map(({ table_name }) => sql`SELECT ${table_name}::text AS t, count(*) AS n FROM ${sql.table(table_name)}`);
  const result = await sql<{ t: string; n: string | number }>`${sql.join(each, sql` UNION ALL `)}`.execute(db);
  for (const { t, n } of result.rows) counts[t] = Number(n);
  return Object.fromEntries(rows.map(({ table_name }) => [table_name, counts[table_name]!]));
}

/**
 * The tables whose rows, not only their number, a verified backup must reproduce: people, money and
 * session notes. The schedule (appointments, slots: the bulk of the rows) is checked by its counts:
 * summing it would cost the nightly backup about half as much again as pg_dump itself.
 */
export const KEY_TABLES = ['patients', 'guardians', 'payments', 'refunds', 'receipts', 'therapy_sessions'] as const;

/**
 * A checksum of each key table's rows as text, in the caller's transaction (its snapshot). The
 * settings that shape a row's text (time zone, date and float formats) are fixed for the transaction,
 * so the same rows give the same sum in any session, on the server or in PGlite.
 */
export async function keyTableChecksums(trx: Kysely<any>): Promise<Record<string, string>> {
  await sql`SELECT set_config('timezone', 'UTC', true), set_config('datestyle', 'ISO, YMD', true),
                   set_config('intervalstyle', 'postgres', true), set_config('extra_float_digits', '1', true)`.execute(trx);
  const sums: Record<string, string> = {};
  for (const table of KEY_TABLES) {
    const { rows } = await sql<{ present: boolean }>`SELECT to_regclass(${`public.${table}`}) IS NOT NULL AS present`.execute(trx);
    if (!rows[0]?.present) continue;
    // A sum of 64-bit hashes of the rows: independent of their order, so no sort, and cheap beside the dump.
    const result = await sql<{ sum: string }>`
      SELECT count(*) || ':' || coalesce(sum(hashtextextended(t::text, 0)), 0) AS sum FROM ${sql.table(table)} t`.execute(trx);
    sums[table] = result.rows[0]!.sum;
  }
  return sums;
}

export type Contents = { tables: Record<string, number>; checksums: Record<string, string>; schema: SchemaFingerprint };

/** Row counts, key tables' checksums and the schema's fingerprint, in the caller's transaction, of every row (as the system). */
export async function contentsIn(trx: Kysely<any>): Promise<Contents> {
  await asTheOwner(trx);
  await declareActor(trx, { role: 'system' });
  return { tables: await countRows(trx), checksums: await keyTableChecksums(trx), schema: await schemaFingerprint(trx) };
}

/** The same, in a transaction of its own. */
export async function describeContents(db: Kysely<any>): Promise<Contents> {
  return db.transaction().execute(contentsIn);
}

export async function serverVersion(db: Kysely<any>): Promise<{ text: string; major: number }> {
  const { rows } = await sql<{ server_version: string }>`SHOW server_version`.execute(db);
  const text = rows[0]!.server_version;
  return { text, major: Number(/^(\d+)/.exec(text)![1]) };
}
