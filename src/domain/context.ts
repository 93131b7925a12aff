import { sql, type Kysely } from 'kysely';
import type { Clock } from '../infra/clock.js';
import { declareActor, type DatabaseActor } from '../infra/db/row-security.js';
import type { DB } from '../infra/db/schema.js';
import type { Actor } from './actor.js';
import type { PaymentGateway } from './billing/payment-gateway.js';
import type { DocumentStore } from './documents/document-store.js';
import { translateContention } from './errors.js';

/** Everything a domain function needs: the database, the time, the clinic's time zone and who is acting. */
export interface DomainContext {
  db: Kysely<DB>;
  clock: Clock;
  timezone: string;
  actor: Actor;
  /** The signed-in member of staff's session token (the CLI), which the database checks for itself. */
  sessionToken?: string;
  /** The online payment provider, when one is configured (Razorpay). */
  paymentGateway?: PaymentGateway;
  /** Where documents' contents are kept (commands and bots that file or read documents). */
  documentStore?: DocumentStore;
}

/** Who each open transaction has declared to the database (see declareActor): the actor and its session. */
interface Declared {
  actor: Actor;
  sessionToken: string | undefined;
}
const declared = new WeakMap<Kysely<DB>, Declared>();

function databaseActor({ actor, sessionToken }: Declared): DatabaseActor {
  switch (actor.kind) {
    case 'staff':
      return { role: actor.role, session: sessionToken };
    case 'patient':
      return { role: 'patient', patientId: actor.patientId };
    case 'guardian':
      return { role: 'guardian', guardianId: actor.guardianId };
    case 'system':
      return { role: 'system' };
  }
}

function sameDeclaration(a: Declared, b: Declared): boolean {
  return a.sessionToken === b.sessionToken && JSON.stringify(a.actor) === JSON.stringify(b.actor);
}

/**
 * Runs `work` in one transaction (or inside the caller's): nothing is ever half-written. The
 * transaction first tells the database who is acting (the session of a member of staff), for the Row
 * Level Security policies on the clinical records (migration 0017); inside a caller's transaction, a
 * different actor is declared for the work and the caller's own declared again after it.
 */
export async function inTransaction<T>(ctx: DomainContext, work: (tx: DomainContext) => Promise<T>): Promise<T> {
  const mine: Declared = { actor: ctx.actor, sessionToken: ctx.sessionToken };
  if (!ctx.db.isTransaction) {
    return ctx.db
      .transaction()
      .execute(async (trx) => {
        await declareActor(trx, databaseActor(mine));
        declared.set(trx, mine);
        return work({ ...ctx, db: trx });
      })
      .catch(translateContention);
  }
  const outer = declared.get(ctx.db);
  if (outer && sameDeclaration(outer, mine)) return work(ctx);
  await declareActor(ctx.db, databaseActor(mine));
  declared.set(ctx.db, mine);
  let result: T;
  try {
    result = await work(ctx);
  } catch (error) {
    // Either the transaction is lost, or a savepoint (attempt) rolled the declaration back with the work.
    if (outer) declared.set(ctx.db, outer);
    else declared.delete(ctx.db);
    throw error;
  }
  if (outer) {
    await declareActor(ctx.db, databaseActor(outer));
    declared.set(ctx.db, outer);
  }
  return result;
}

/**
 * A domain function that calls an outside service (Razorpay) refuses to run inside a transaction:
 * the row locks the transaction holds (a chat's, an appointment's) would wait on the network.
 */
export function outsideTransaction(ctx: DomainContext, action: string): void {
  if (ctx.db.isTransaction) throw new Error(`${action} calls an outside service: run it outside a transaction, after committing.`);
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
