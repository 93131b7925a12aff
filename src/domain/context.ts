import { sql, type Kysely } from 'kysely';
import type { Clock } from '../infra/clock.js';
import type { DB } from '../infra/db/schema.js';
import type { Actor } from './actor.js';
import type { PaymentGateway } from './billing/payment-gateway.js';

/** Everything a domain function needs: the database, the time, the clinic's time zone and who is acting. */
export interface DomainContext {
  db: Kysely<DB>;
  clock: Clock;
  timezone: string;
  actor: Actor;
  /** The online payment provider, when one is configured (Razorpay). */
  paymentGateway?: PaymentGateway;
}

/** Runs `work` in one transaction (or inside the caller's): nothing is ever half-written. */
export async function inTransaction<T>(ctx: DomainContext, work: (tx: DomainContext) => Promise<T>): Promise<T> {
  if (ctx.db.isTransaction) return work(ctx);
  return ctx.db.transaction().execute((trx) => work({ ...ctx, db: trx }));
}

export function withActor(ctx: DomainContext, actor: Actor): DomainContext {
  return { ...ctx, actor };
}

export type Attempt<T> = { ok: true; value: T } | { ok: false; error: unknown };

/**
 * Tries `work` inside the caller's transaction behind a savepoint: when it fails, only its own
 * writes are undone and the transaction goes on (a series of bookings where some dates are taken).
 */
export async function attempt<T>(ctx: DomainContext, work: () => Promise<T>): Promise<Attempt<T>> {
  if (!ctx.db.isTransaction) throw new Error('attempt() needs a transaction');
  await sql`SAVEPOINT roshni_attempt`.execute(ctx.db);
  try {
    const value = await work();
    await sql`RELEASE SAVEPOINT roshni_attempt`.execute(ctx.db);
    return { ok: true, value };
  } catch (error) {
    await sql`ROLLBACK TO SAVEPOINT roshni_attempt`.execute(ctx.db);
    return { ok: false, error };
  }
}
