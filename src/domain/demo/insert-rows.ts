import { sql, type Insertable } from 'kysely';
import type { DB, Json } from '../../infra/db/schema.js';
import type { DomainContext } from '../context.js';

/** A row as JSON carries it: a jsonb column takes an object or null, never text (which would be stored as a JSON string). */
type JsonRow<Row> = { [K in keyof Row]: Json extends Row[K] ? object | null : Row[K] };

/**
 * Writes rows into a table in one statement with one parameter: the rows as JSON, which PostgreSQL turns
 * back into the table's own row type (json_populate_recordset). A multi-row VALUES of thousands of
 * parameters cost more to build, send, bind and plan than the insert itself. Rows are written, and
 * RETURNING answers, in the order given. Values are what JSON carries: a jsonb column takes the value
 * itself (not its text), and a column left out of the rows takes its default.
 */
export async function insertRows<T extends keyof DB & string, R extends string = never>(
  ctx: DomainContext,
  table: T,
  rows: ReadonlyArray<JsonRow<Insertable<DB[T]>>>,
  returning: readonly R[] = [],
): Promise<Array<Record<R, unknown>>> {
  if (!rows.length) return [];
  const columns = sql.join(Object.keys(rows[0]!).map((column) => sql.ref(column)));
  const answer = returning.length ? sql`RETURNING ${sql.join(returning.map((column) => sql.ref(column)))}` : sql``;
  const { rows: out } = await sql<Record<R, unknown>>`
    INSERT INTO ${sql.table(table)} (${columns})
    SELECT ${columns} FROM json_populate_recordset(NULL::${sql.table(table)}, ${JSON.stringify(rows)}::json) WITH ORDINALITY AS r
    ORDER BY r.ordinality
    ${answer}`.execute(ctx.db);
  return out;
}

/** Gives each planned thing the id of its row, from insertRows's answer (which keeps the order given). */
export function giveIds(planned: ReadonlyArray<{ id?: number }>, rows: ReadonlyArray<Record<'id', unknown>>): void {
  planned.forEach((thing, i) => (thing.id = rows[i]!.id as number));
}

/** Reserves `count` numbers of a sequence in one round trip, so that rows written together get consecutive numbers in the order given. */
export async function reserveNumbers(ctx: DomainContext, sequence: string, count: number): Promise<number> {
  if (!count) return 0;
  const { rows } = await sql<{ first: string }>`
    SELECT setval(${sequence}::regclass, nextval(${sequence}::regclass) + ${count}::bigint - 1) - ${count}::bigint + 1 AS first`.execute(ctx.db);
  return Number(rows[0]!.first);
}
