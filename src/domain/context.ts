import type { Kysely } from 'kysely';
import type { Clock } from '../infra/clock.js';
import type { DB } from '../infra/db/schema.js';
import type { Actor } from './actor.js';

/** Everything a domain function needs: the database, the time, the clinic's time zone and who is acting. */
export interface DomainContext {
  db: Kysely<DB>;
  clock: Clock;
  timezone: string;
  actor: Actor;
}

/** Runs `work` in one transaction (or inside the caller's): nothing is ever half-written. */
export async function inTransaction<T>(ctx: DomainContext, work: (tx: DomainContext) => Promise<T>): Promise<T> {
  if (ctx.db.isTransaction) return work(ctx);
  return ctx.db.transaction().execute((trx) => work({ ...ctx, db: trx }));
}

export function withActor(ctx: DomainContext, actor: Actor): DomainContext {
  return { ...ctx, actor };
}
