import { createHash } from 'node:crypto';
import { sql, type RawBuilder } from 'kysely';

// A statement run again and again with only its parameters changing (booking an appointment) is
// worth preparing once per connection: PostgreSQL then parses it once, and after a few executions
// plans it once too. Planning the booking statement took twice as long as running it. Such a
// statement is marked with a leading comment; the pg clients of createPool (database.ts) run a marked
// statement as a named prepared statement, named after its text. Any other database (PGlite) runs it
// as it is: the mark is only a comment.

const MARK = '/* roshni:prepared */';

/** The statement, marked to be prepared once per connection (its text must not vary with each call's values). */
export function preparedOnce<T>(statement: RawBuilder<T>): RawBuilder<T> {
  return sql<T>`${sql.raw(MARK)} ${statement}`;
}

type Query = (...args: unknown[]) => unknown;

/** Makes a pg client run marked statements (text and values, as Kysely sends them) as named prepared statements. */
export function runMarkedStatementsPrepared(client: { query: Query }): void {
  const query = client.query.bind(client) as Query;
  client.query = (...args: unknown[]) => {
    const [text, values, ...rest] = args;
    if (typeof text !== 'string' || !text.startsWith(MARK) || !Array.isArray(values)) return query(...args);
    return query({ name: statementName(text), text, values }, ...rest);
  };
}

/** The same text always gets the same name, and different texts different names (pg refuses one name for two texts). */
export function statementName(text: string): string {
  return `roshni_${createHash('sha256').update(text).digest('hex').slice(0, 32)}`;
}
