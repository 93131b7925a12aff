import { sql } from 'kysely';
import type { DomainContext } from '../context.js';
import type { ContactChannel, ContactLanguage } from '../../infra/db/schema.js';

// The outbox. A message the clinic promises is a row written in the same transaction as the change
// that causes it; the dispatcher (src/jobs) sends it later, once, on the recipient's channel.

export type NotificationKind =
  | 'booking_confirmed'
  | 'appointment_changed'
  | 'appointment_cancelled'
  | 'payment_received'
  | 'refund_processed'
  | 'waitlist_offer'
  | 'reminder'
  /** A day off (leave, a holiday) fell on booked sessions: offers the family to reschedule or cancel them. */
  | 'reschedule_needed'
  | 'staff_reply'
  | 'therapist_daily_summary'
  | 'admin_alert';

export type NotificationRecipient = { patientId: number } | { guardianId: number } | { staffUserId: number };

export interface NotificationRequest {
  kind: NotificationKind;
  /** Unique per promised message (e.g. "reminder:appointment:42:2026-11-27T03:30Z"): a second enqueue is a no-op. */
  idempotencyKey: string;
  recipient: NotificationRecipient;
  appointmentId?: number | null;
  dueAt: Date;
  /** Template values only: times, therapist, clinic, amounts. Never clinical details. */
  payload?: Record<string, unknown>;
  channel?: ContactChannel | null;
  language?: ContactLanguage;
  /**
   * A change folded into a message not yet sent: a pending row with the same key takes the new
   * payload and due time (the grace period), instead of a second message.
   */
  replacePending?: boolean;
}

export async function enqueueNotification(ctx: DomainContext, request: NotificationRequest): Promise<{ id: number } | null> {
  const recipient = request.recipient;
  const payload = JSON.stringify(request.payload ?? {});
  const { rows } = await sql<{ id: number }>`
    INSERT INTO notifications (idempotency_key, kind, patient_id, guardian_id, staff_user_id, appointment_id,
                               channel, language, payload, due_at)
    VALUES (${request.idempotencyKey}, ${request.kind},
            ${'patientId' in recipient ? recipient.patientId : null}::integer,
            ${'guardianId' in recipient ? recipient.guardianId : null}::integer,
            ${'staffUserId' in recipient ? recipient.staffUserId : null}::integer,
            ${request.appointmentId ?? null}::integer, ${request.channel ?? null}::contact_channel,
            ${request.language ?? 'en'}::contact_language, ${payload}::jsonb, ${request.dueAt}::timestamptz)
    ON CONFLICT (idempotency_key) DO ${
      request.replacePending ? sql`UPDATE SET payload = excluded.payload, due_at = excluded.due_at WHERE notifications.state = 'pending'` : sql`NOTHING`
    }
    RETURNING id`.execute(ctx.db);
  return rows[0] ?? null;
}

/** Withdraws messages not sent yet (an old reminder after a reschedule or a cancellation). */
export async function cancelPendingNotifications(ctx: DomainContext, filter: { appointmentId: number; kinds: NotificationKind[] }): Promise<number> {
  const result = await ctx.db
    .updateTable('notifications')
    .set({ state: 'cancelled' })
    .where('appointment_id', '=', filter.appointmentId)
    .where('kind', 'in', filter.kinds)
    .where('state', '=', 'pending')
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
