import { sql, type Kysely } from 'kysely';
import type { DB } from '../../infra/db/schema.js';
import { recordAudit } from '../audit/record-audit.js';
import type { DomainContext } from '../context.js';
import { authorize } from '../policy.js';
import { rescheduleReason } from '../scheduling/needs-reschedule.js';
import { clinicDate } from '../time.js';
import { recipientOf } from './recipients.js';
import type { ReminderSession } from './templates.js';

// The message offering a family to reschedule what a day off (leave or a holiday forced over
// bookings) left behind: kind 'reschedule_needed', one per recipient and patient, listing that
// patient's sessions with "Reschedule" and "Cancel" for each (buttons on Telegram, numbered replies
// on WhatsApp; the bot's reminder actions answer them). Sent only when the desk asks for it.

/** The occasion a batch of offers is for: the day off, as it is named in the messages' keys. */
export type DayOffOccasion = { leaveId: number } | { holidayOn: string };

export interface RescheduleOffers {
  /** Messages written to the outbox (one per family and patient). */
  messages: number;
  /** Appointments they name. */
  appointments: number;
}

/**
 * Writes the 'reschedule_needed' messages for those of `appointmentIds` that still need rescheduling
 * (needs-reschedule.ts) and have not begun, due now. Names only times, the therapist and numbers.
 */
export async function offerReschedule(ctx: DomainContext, input: { appointmentIds: number[]; occasion: DayOffOccasion }): Promise<RescheduleOffers> {
  authorize(ctx.actor, 'schedule.manage');
  if (!input.appointmentIds.length) return { messages: 0, appointments: 0 };
  const now = ctx.clock.now();
  const occasion = 'leaveId' in input.occasion ? `leave:${input.occasion.leaveId}` : `holiday:${input.occasion.holidayOn}`;
  const reason = rescheduleReason(ctx.timezone, { therapistId: sql`a.therapist_id`, startsAt: sql`a.starts_at`, status: sql`a.status` });
  const { rows } = await sql<{ sessions: number }>`
    WITH stranded AS (
      SELECT a.id, a.patient_id, a.appointment_number, a.starts_at, t.full_name AS therapist_name, x.reason
      FROM appointments a
      JOIN therapists t ON t.id = a.therapist_id
      CROSS JOIN LATERAL (SELECT ${reason} AS reason) x
      WHERE a.id = ANY(${input.appointmentIds}::integer[]) AND x.reason IS NOT NULL AND a.starts_at > ${now}::timestamptz
    )
    INSERT INTO notifications (idempotency_key, kind, patient_id, guardian_id, about_patient_id, appointment_id, language, payload, due_at)
    SELECT ${`reschedule_needed:${occasion}:${now.getTime()}`} || ':p' || s.patient_id || ':' || r.recipient_key,
           'reschedule_needed', r.patient_id, r.guardian_id, s.patient_id, (array_agg(s.id ORDER BY s.starts_at, s.id))[1], r.language,
           jsonb_build_object(
             'reason', CASE WHEN count(DISTINCT s.reason) = 1 THEN min(s.reason) END,
             'sessions', jsonb_agg(jsonb_build_object('appointmentId', s.id, 'appointmentNumber', s.appointment_number,
                                                      'startsAt', s.starts_at, 'therapistName', s.therapist_name)
                                   ORDER BY s.starts_at, s.id)),
           ${now}::timestamptz
    FROM stranded s
    CROSS JOIN LATERAL ${recipientOf(sql`s.patient_id`, sql`${clinicDate(now, ctx.timezone)}::date`)} r
    GROUP BY s.patient_id, r.patient_id, r.guardian_id, r.language, r.recipient_key
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING jsonb_array_length(payload -> 'sessions') AS sessions`.execute(ctx.db);
  const offers = { messages: rows.length, appointments: rows.reduce((sum, r) => sum + Number(r.sessions), 0) };
  await recordAudit(ctx, {
    action: 'reschedule.offer',
    entity: 'leaveId' in input.occasion ? 'therapist_leave' : 'clinic_holiday',
    entityId: 'leaveId' in input.occasion ? input.occasion.leaveId : input.occasion.holidayOn,
    after: offers,
  });
  return offers;
}

/**
 * The sessions of a 'reschedule_needed' message that still need it when it is sent: live, at the
 * time the message names, and still flagged by the rule. The rest (moved, cancelled, the day off
 * removed since) are left out; when none is left, the message is not sent.
 */
export async function sessionsStillToReschedule(db: Kysely<DB>, sessions: ReminderSession[], timezone: string, now: Date): Promise<ReminderSession[]> {
  if (!sessions.length) return [];
  const { rows } = await sql<{ id: number; starts_at: Date }>`
    SELECT a.id, a.starts_at FROM appointments a
    WHERE a.id = ANY(${sessions.map((s) => s.appointmentId)}::integer[]) AND a.starts_at > ${now}::timestamptz
      AND ${rescheduleReason(timezone, { therapistId: sql`a.therapist_id`, startsAt: sql`a.starts_at`, status: sql`a.status` })} IS NOT NULL`.execute(db);
  const still = new Map(rows.map((r) => [r.id, r.starts_at.getTime()]));
  return sessions.filter((s) => still.get(s.appointmentId) === new Date(s.startsAt).getTime());
}
