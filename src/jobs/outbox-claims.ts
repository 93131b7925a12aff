import { sql } from 'kysely';
import type { DomainContext } from '../domain/context.js';
import type { NotificationKind } from '../domain/notifications/enqueue.js';
import { recipientOf } from '../domain/notifications/recipients.js';
import { rescheduleReason, type RescheduleReason } from '../domain/scheduling/needs-reschedule.js';
import { clinicDate } from '../domain/time.js';
import type { ContactChannel, ContactLanguage } from '../infra/db/schema.js';

// The outbox's claims, for the dispatcher: due rows are taken with FOR UPDATE SKIP LOCKED (so any
// number of dispatchers share one outbox) and marked 'sending' under a lease; an outcome is
// recorded only while the claim is still held. A dispatcher that dies leaves its claims to expire;
// another takes them.

export interface ClaimedRow {
  id: number;
  idempotency_key: string;
  kind: NotificationKind;
  language: ContactLanguage;
  payload: Record<string, unknown>;
  attempts: number;
  appointment_id: number | null;
  guardian_id: number | null;
  preferred_channel: ContactChannel | null;
  phone: string | null;
  email: string | null;
  telegram_chat_id: string | null;
  whatsapp_id: string | null;
  sample: boolean;
  opted_out: boolean;
  appointment_live: boolean | null;
  appointment_starts_at: Date | null;
  /** Why the row's appointment needs rescheduling (a day off on its day), else null. */
  appointment_reschedule: RescheduleReason | null;
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
      SELECT c.id, c.idempotency_key, c.kind, coalesce(r.language, c.language) AS language, c.payload, c.attempts, c.appointment_id,
             coalesce(c.guardian_id, r.guardian_id) AS guardian_id,
             coalesce(p.preferred_channel, g.preferred_channel) AS preferred_channel,
             -- A sample person's stored phone and email may be a stranger's (migration 0016).
             CASE WHEN NOT coalesce(p.sample, g.sample, false) THEN coalesce(p.phone, g.phone, s.phone) END AS phone,
             CASE WHEN NOT coalesce(p.sample, g.sample, false) THEN coalesce(p.email, g.email, s.email) END AS email,
             coalesce(p.sample, g.sample, false) AS sample,
             coalesce(p.telegram_chat_id, g.telegram_chat_id) AS telegram_chat_id,
             coalesce(p.whatsapp_id, g.whatsapp_id) AS whatsapp_id,
             coalesce(p.reminders_opted_out_at, g.reminders_opted_out_at) IS NOT NULL AS opted_out,
             CASE WHEN a.id IS NULL THEN NULL
                  ELSE a.status IN ('scheduled', 'confirmed') AND a.starts_at > ${now}::timestamptz END AS appointment_live,
             a.starts_at AS appointment_starts_at,
             ${rescheduleReason(ctx.timezone, { therapistId: sql`a.therapist_id`, startsAt: sql`a.starts_at`, status: sql`a.status` })}
               AS appointment_reschedule
      FROM claimed c
      -- A row naming only the patient (a booking's confirmation) reaches whoever hears about that
      -- patient now: the adult patient, else the primary guardian.
      LEFT JOIN LATERAL ${recipientOf(sql`c.patient_id`, sql`${clinicDate(now, ctx.timezone)}::date`)} r
        ON c.guardian_id IS NULL AND c.staff_user_id IS NULL
      LEFT JOIN patients p ON p.id = CASE WHEN c.guardian_id IS NULL AND c.staff_user_id IS NULL THEN r.patient_id END AND p.erased_at IS NULL
      LEFT JOIN guardians g ON g.id = coalesce(c.guardian_id, r.guardian_id) AND g.erased_at IS NULL
      LEFT JOIN staff_users s ON s.id = c.staff_user_id AND s.active
      LEFT JOIN appointments a ON a.id = c.appointment_id
      ORDER BY c.id`.execute(ctx.db);
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
