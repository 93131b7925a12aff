import { sql, type Kysely } from 'kysely';
import { pendingMigrations } from '../db/pending-migrations.js';
import type { DB } from '../db/schema.js';
import type { Verdict } from './external-services.js';

const OUTBOX_LATE_MINUTES = 15;

/** Whether the database answers and its migrations are current. */
export async function databaseCheck(db: Kysely<DB> | null, openError: Error | null): Promise<Verdict> {
  if (!db) return { status: 'fail', detail: `unreachable: ${openError?.message ?? 'unknown error'}` };
  try {
    await sql`SELECT 1`.execute(db);
  } catch (error) {
    return { status: 'fail', detail: `unreachable: ${(error as Error).message}` };
  }
  const pending = await pendingMigrations(db);
  return pending.length
    ? { status: 'fail', detail: `reachable, but ${pending.length} migration(s) pending: run \`roshni db migrate\`` }
    : { status: 'ok', detail: 'reachable, migrations current' };
}

/** Messages more than a quarter of an hour late, and failed ones. */
export async function outboxCheck(db: Kysely<DB>, now: Date): Promise<Verdict> {
  const lateBefore = new Date(now.getTime() - OUTBOX_LATE_MINUTES * 60_000);
  const row = await db
    .selectFrom('notifications')
    .select([
      sql<number>`count(*) FILTER (WHERE state IN ('pending', 'sending') AND due_at < ${lateBefore})`.as('late'),
      sql<number>`count(*) FILTER (WHERE state = 'failed')`.as('failed'),
    ])
    .executeTakeFirstOrThrow();
  const late = Number(row.late);
  const failed = Number(row.failed);
  return {
    status: late || failed ? 'warn' : 'ok',
    detail:
      `${late} message(s) more than ${OUTBOX_LATE_MINUTES} min late${late ? ' (they go out while `roshni start` runs)' : ''}, ` +
      `${failed} failed${failed ? ' (`roshni notifications list --failed`)' : ''}`,
  };
}
