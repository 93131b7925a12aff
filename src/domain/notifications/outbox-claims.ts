import { sql } from 'kysely';
import type { DomainContext } from '../context.js';
import { deliveryFactsOf } from './delivery-facts.js';
import type { DeliveryFacts } from './delivery-plan.js';
import type { ContactChannel } from '../../infra/db/schema.js';

// The outbox's claims, for the dispatcher: due rows are taken with FOR UPDATE SKIP LOCKED (so any
// number of dispatchers share one outbox) and marked 'sending' under a lease; an outcome is
// recorded only while the claim is still held. A dispatcher that dies leaves its claims to expire;
// another takes them.

/** A claimed row: what the delivery plan needs to know (read in the claiming statement), and what sending needs. */
export interface ClaimedRow extends DeliveryFacts {
  idempotency_key: string;
  attempts: number;
}

export type Outcome = 'sent' | 'pending' | 'failed' | 'skipped';

export interface OutcomeFields {
  channel?: ContactChannel;
  provider_message_id?: string;
  sent_at?: Date;
  last_error?: string | null;
  next_attempt_at?: Date;
  attempts?: number;
  guardian_id?: number;
}

export class OutboxClaims {
  constructor(
    private readonly ctx: DomainContext,
    /** Names this process in claimed_by. */
    private readonly instanceId: string,
    private readonly leaseMs: number,
  ) {}

  /** Takes up to `batchSize` due rows (and rows whose claim expired) as 'sending' under a lease. */
  async claim(batchSize: number): Promise<ClaimedRow[]> {
    const { ctx, instanceId, leaseMs } = this;
    const now = ctx.clock.now();
    const { rows } = await sql<ClaimedRow>`
      WITH claimed AS (
        UPDATE notifications n
        SET state = 'sending', claimed_by = ${instanceId}, attempts = n.attempts + 1,
            claimed_until = ${now}::timestamptz + make_interval(secs => ${leaseMs / 1000})
        WHERE n.id IN (
          SELECT id FROM notifications
          WHERE (state = 'pending' AND coalesce(next_attempt_at, due_at) <= ${now}::timestamptz)
             OR (state = 'sending' AND claimed_until < ${now}::timestamptz)
          ORDER BY coalesce(next_attempt_at, due_at), id
          LIMIT ${batchSize}
          FOR UPDATE SKIP LOCKED)
        RETURNING n.*
      )
      ${deliveryFactsOf(sql`claimed`, now, ctx.timezone)}`.execute(ctx.db);
    return rows;
  }

  /** Extends the lease of rows this dispatcher still holds; forgets those it no longer does. */
  async renew(held: Set<number>): Promise<void> {
    const ids = [...held];
    if (!ids.length) return;
    const { ctx, instanceId, leaseMs } = this;
    const kept = await ctx.db
      .updateTable('notifications')
      .set({ claimed_until: new Date(ctx.clock.now().getTime() + leaseMs) })
      .where('id', 'in', ids)
      .where('state', '=', 'sending')
      .where('claimed_by', '=', instanceId)
      .returning('id')
      .execute();
    const still = new Set(kept.map((r) => r.id));
    for (const id of ids) if (!still.has(id)) held.delete(id);
  }

  /** Records how a claimed row ended, only while this dispatcher still holds its claim. */
  async record(id: number, state: Outcome, fields: OutcomeFields): Promise<void> {
    await this.ctx.db
      .updateTable('notifications')
      .set({ state, claimed_by: null, claimed_until: null, ...fields })
      .where('id', '=', id)
      .where('state', '=', 'sending')
      .where('claimed_by', '=', this.instanceId)
      .execute();
  }

  /** Gives a claimed row back untouched (shutting down before sending it). */
  async release(id: number): Promise<void> {
    await this.ctx.db
      .updateTable('notifications')
      .set((eb) => ({ state: 'pending', claimed_by: null, claimed_until: null, attempts: eb('attempts', '-', 1) }))
      .where('id', '=', id)
      .where('state', '=', 'sending')
      .where('claimed_by', '=', this.instanceId)
      .execute();
  }
}
