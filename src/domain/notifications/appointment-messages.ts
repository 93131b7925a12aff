import { sql, type RawBuilder } from 'kysely';
import type { DomainContext } from '../context.js';
import { clinicDate } from '../time.js';
import { cancelPendingNotifications, type NotificationKind } from './enqueue.js';
import { recipientOf } from './recipients.js';
import { isRescheduleNote, reasonOf, rescheduleNote } from '../scheduling/needs-reschedule.js';
import { clinicDayOf, clinicHolidaysFrom, isOnLeave, leaveDaysFrom } from '../scheduling/day-off-sql.js';

// The messages an appointment's life sends, written in the transaction (or the statement) of the
// change. A confirmation waits the clinic's grace period (change_grace_minutes): a reschedule inside
// it folds into the message not yet sent, so book + reschedule + reschedule sends one message with
// the final time; a cancellation inside it withdraws the confirmation and says nothing at all.
//
// Fragments take a `source` subquery with the columns appointment_id, patient_id, therapist_id,
// starts_at and appointment_number, so booking can write its messages in its one INSERT statement.

const today = (ctx: DomainContext) => sql`${clinicDate(ctx.clock.now(), ctx.timezone)}::date`;

/** Payload of appointment messages: time, therapist, number. Never the service or anything clinical. */
const appointmentPayload = sql`jsonb_build_object('appointmentNumber', a.appointment_number, 'startsAt', a.starts_at,
  'therapistName', t.full_name)`;

/**
 * INSERT of the booking confirmation for each appointment of `source`, due after the grace period.
 * Kept to one cheap row (it runs inside every booking's statement): it names the patient, and the
 * dispatcher resolves who hears it (the adult patient or the primary guardian) when it sends.
 */
export function confirmationInsert(ctx: DomainContext, source: RawBuilder<unknown>): RawBuilder<unknown> {
  const now = ctx.clock.now();
  return sql`
    INSERT INTO notifications (idempotency_key, kind, patient_id, appointment_id, payload, due_at)
    SELECT 'booking_confirmed:' || a.appointment_id, 'booking_confirmed', a.patient_id, a.appointment_id,
           jsonb_build_object('appointmentNumber', a.appointment_number, 'startsAt', a.starts_at, 'therapistName', a.therapist_name),
           ${now}::timestamptz + make_interval(mins => (SELECT change_grace_minutes FROM clinic_settings))
    FROM ${source} a
    ON CONFLICT (idempotency_key) DO NOTHING`;
}

/**
 * INSERT of the reminders of each appointment of `source`: one per offset of the clinic's
 * reminder_offsets_minutes (24 h and 2 h), none to an opted-out recipient, none whose time has
 * passed. A reminder falling in quiet hours (21:00–08:00 clinic time) goes at the end of them if
 * that is still an hour before the appointment, else it is recorded as skipped. The key carries
 * the start time, so a rescheduled appointment gets new reminders (the old ones are cancelled); a
 * reminder cancelled and wanted again (moved back to its old time) is revived. Of sessions back to
 * back on one day for one recipient, only the first has reminders.
 *
 * An appointment that needs rescheduling (its therapist on leave, or the clinic on holiday, on its
 * day: needs-reschedule.ts) is reminded of by nobody: its reminders are written as skipped with the
 * reason (a pending one becomes skipped), and come back (pending) once the day off is removed. So
 * running this over the appointments of a day off, when it is added or removed, settles them.
 */
export function reminderInsert(ctx: DomainContext, source: RawBuilder<unknown>): RawBuilder<unknown> {
  const now = ctx.clock.now();
  // Days off are looked up once for the whole statement, as two small sets joined by the clinic day,
  // not asked of each row (that, and JIT compiling the costlier plan, took 10,000 appointments from
  // 0.3 s to 2 s). A reminder is only ever written from the day before today on (due ≥ now − 10 min).
  const from = sql`${today(ctx)} - 1`;
  const dayOff = reasonOf(sql`hol.day IS NOT NULL`, sql`lv.day IS NOT NULL`);
  // An earlier session of `patientId` the same day, that no day off left behind: b is on a's clinic
  // day, so a holiday that day rules out every b (asked first) and only b's leave is asked.
  const earlierSession = (patientId: RawBuilder<unknown>) => sql`EXISTS (
    SELECT 1 FROM appointments b
    WHERE b.patient_id = ${patientId} AND b.starts_at >= ad.day::timestamp AT TIME ZONE ${ctx.timezone} AND b.starts_at < a.starts_at
      AND b.status IN ('scheduled', 'confirmed') AND b.id <> a.appointment_id
      AND b.ends_at >= a.starts_at - interval '30 minutes'
      AND NOT ${isOnLeave(sql`b.therapist_id`, sql`ad.day`)})`;
  return sql`
    INSERT INTO notifications (idempotency_key, kind, patient_id, guardian_id, appointment_id, language, payload,
                               due_at, state, last_error)
    SELECT 'reminder:' || a.appointment_id || ':' || o.offset_minutes || ':' || extract(epoch FROM a.starts_at)::bigint
             || ':' || r.recipient_key,
           'reminder', r.patient_id, r.guardian_id, a.appointment_id, r.language,
           ${appointmentPayload} || jsonb_build_object('offsetMinutes', o.offset_minutes),
           q.send_at,
           CASE WHEN x.reason IS NOT NULL THEN 'skipped'
                WHEN q.send_at <= a.starts_at - interval '60 minutes' THEN 'pending' ELSE 'skipped' END::notification_state,
           CASE WHEN x.reason IS NOT NULL THEN ${rescheduleNote(sql`x.reason`)}
                WHEN q.send_at <= a.starts_at - interval '60 minutes' THEN NULL
                ELSE 'quiet hours: no useful time left before the appointment' END
    FROM ${source} a
    JOIN therapists t ON t.id = a.therapist_id
    CROSS JOIN clinic_settings cs
    CROSS JOIN LATERAL (SELECT ${clinicDayOf(sql`a.starts_at`, ctx.timezone)} AS day) ad
    LEFT JOIN ${clinicHolidaysFrom(from)} hol ON hol.day = ad.day
    LEFT JOIN ${leaveDaysFrom(from)} lv ON lv.therapist_id = a.therapist_id AND lv.day = ad.day
    CROSS JOIN LATERAL (SELECT ${dayOff} AS reason) x
    CROSS JOIN LATERAL unnest(cs.reminder_offsets_minutes) AS o(offset_minutes)
    CROSS JOIN LATERAL (SELECT a.starts_at - make_interval(mins => o.offset_minutes) AS due) d
    CROSS JOIN LATERAL (SELECT (d.due AT TIME ZONE cs.timezone) AS local_due) l
    CROSS JOIN LATERAL (SELECT CASE
        WHEN cs.quiet_hours_start > cs.quiet_hours_end AND l.local_due::time >= cs.quiet_hours_start
          THEN ((l.local_due::date + 1) + cs.quiet_hours_end) AT TIME ZONE cs.timezone
        WHEN cs.quiet_hours_start > cs.quiet_hours_end AND l.local_due::time < cs.quiet_hours_end
          THEN (l.local_due::date + cs.quiet_hours_end) AT TIME ZONE cs.timezone
        WHEN cs.quiet_hours_start < cs.quiet_hours_end AND l.local_due::time >= cs.quiet_hours_start
             AND l.local_due::time < cs.quiet_hours_end
          THEN (l.local_due::date + cs.quiet_hours_end) AT TIME ZONE cs.timezone
        ELSE d.due END AS send_at) q
    CROSS JOIN LATERAL ${recipientOf(sql`a.patient_id`, today(ctx))} r
    WHERE r.opted_out_at IS NULL AND d.due >= ${now}::timestamptz - interval '10 minutes'
      -- Back-to-back sessions the same day (the patient's, or siblings' under one guardian): only
      -- the first is reminded of. Should the first be cancelled, the next run reminds of the next.
      AND (hol.day IS NOT NULL OR (NOT ${earlierSession(sql`a.patient_id`)} AND (r.guardian_id IS NULL OR NOT EXISTS (
        SELECT 1 FROM patient_guardians sib WHERE sib.guardian_id = r.guardian_id AND ${earlierSession(sql`sib.patient_id`)}))))
    ON CONFLICT (idempotency_key) DO UPDATE
      SET state = excluded.state, due_at = excluded.due_at, payload = excluded.payload, last_error = excluded.last_error,
          attempts = 0, next_attempt_at = NULL
      WHERE notifications.state = 'cancelled'
         -- A day off added (pending → skipped, with why) or removed (skipped for it → pending again).
         OR (notifications.state = 'pending' AND ${isRescheduleNote(sql`excluded.last_error`)})
         OR (notifications.state = 'skipped' AND ${isRescheduleNote(sql`notifications.last_error`)}
             AND notifications.last_error IS DISTINCT FROM excluded.last_error)`;
}

/** One appointment as a `source` for the fragments above. */
export function appointmentSource(appointmentId: number): RawBuilder<unknown> {
  return sql`(SELECT id AS appointment_id, patient_id, therapist_id, starts_at, appointment_number
              FROM appointments WHERE id = ${appointmentId} AND status IN ('scheduled', 'confirmed'))`;
}

const NOTICE_KINDS: NotificationKind[] = ['booking_confirmed', 'appointment_changed'];

/**
 * After an appointment moved (in the same transaction): its old reminders are withdrawn and new
 * ones scheduled; a notice not yet sent takes the new time (and its grace period restarts), else
 * an "appointment changed" message is written.
 */
export async function noticeAppointmentRescheduled(ctx: DomainContext, appointmentId: number, previousStartsAt: Date): Promise<void> {
  const now = ctx.clock.now();
  await cancelPendingNotifications(ctx, { appointmentId, kinds: ['reminder'] });
  const folded = await sql<{ id: number }>`
    UPDATE notifications n
    SET payload = n.payload || jsonb_build_object('startsAt', a.starts_at, 'therapistName', t.full_name),
        due_at = ${now}::timestamptz + make_interval(mins => cs.change_grace_minutes)
    FROM appointments a JOIN therapists t ON t.id = a.therapist_id CROSS JOIN clinic_settings cs
    WHERE a.id = ${appointmentId} AND n.appointment_id = a.id AND n.state = 'pending'
      AND n.kind IN ('booking_confirmed', 'appointment_changed')
    RETURNING n.id`.execute(ctx.db);
  if (folded.rows.length === 0) {
    const source = appointmentSource(appointmentId);
    await sql`
      INSERT INTO notifications (idempotency_key, kind, patient_id, guardian_id, appointment_id, language, payload, due_at)
      SELECT 'appointment_changed:' || a.appointment_id || ':' || ${now.getTime()}::bigint || ':' || r.recipient_key,
             'appointment_changed', r.patient_id, r.guardian_id, a.appointment_id, r.language,
             ${appointmentPayload} || jsonb_build_object('previousStartsAt', ${previousStartsAt}::timestamptz),
             ${now}::timestamptz + make_interval(mins => cs.change_grace_minutes)
      FROM ${source} a
      JOIN therapists t ON t.id = a.therapist_id
      CROSS JOIN clinic_settings cs
      CROSS JOIN LATERAL ${recipientOf(sql`a.patient_id`, today(ctx))} r
      ON CONFLICT (idempotency_key) DO NOTHING`.execute(ctx.db);
  }
  await reminderInsert(ctx, appointmentSource(appointmentId)).execute(ctx.db);
}

/**
 * After an appointment was cancelled (in the same transaction): reminders and notices not yet sent
 * are withdrawn. If the patient never heard of the booking (its confirmation was still waiting out
 * the grace period), nothing is sent; otherwise a cancellation message is.
 */
export async function noticeAppointmentCancelled(ctx: DomainContext, appointmentId: number): Promise<void> {
  await cancelPendingNotifications(ctx, { appointmentId, kinds: ['reminder'] });
  const withdrawn = await ctx.db
    .updateTable('notifications')
    .set({ state: 'cancelled' })
    .where('appointment_id', '=', appointmentId)
    .where('kind', 'in', NOTICE_KINDS)
    .where('state', '=', 'pending')
    .returning('kind')
    .execute();
  const heard = await ctx.db
    .selectFrom('notifications')
    .select('id')
    .where('appointment_id', '=', appointmentId)
    .where('state', 'in', ['sent', 'sending'])
    .executeTakeFirst();
  if (withdrawn.some((n) => n.kind === 'booking_confirmed') && !heard) return;
  const now = ctx.clock.now();
  await sql`
    INSERT INTO notifications (idempotency_key, kind, patient_id, guardian_id, appointment_id, language, payload, due_at)
    SELECT 'appointment_cancelled:' || a.id || ':' || r.recipient_key, 'appointment_cancelled', r.patient_id,
           r.guardian_id, a.id, r.language, ${appointmentPayload}, ${now}::timestamptz
    FROM appointments a
    JOIN therapists t ON t.id = a.therapist_id
    CROSS JOIN LATERAL ${recipientOf(sql`a.patient_id`, today(ctx))} r
    WHERE a.id = ${appointmentId}
    ON CONFLICT (idempotency_key) DO NOTHING`.execute(ctx.db);
}

/**
 * A message about a patient that is not an appointment's (payment received, refund, waitlist
 * offer), to the patient's one recipient. `key` names the event; the recipient is appended.
 */
export async function enqueueForPatient(
  ctx: DomainContext,
  request: { patientId: number; kind: NotificationKind; key: string; appointmentId?: number | null; payload: Record<string, unknown>; dueAt?: Date },
): Promise<number> {
  const dueAt = request.dueAt ?? ctx.clock.now();
  const result = await sql`
    INSERT INTO notifications (idempotency_key, kind, patient_id, guardian_id, about_patient_id, appointment_id, language, payload, due_at)
    SELECT ${request.key} || ':' || r.recipient_key, ${request.kind}, r.patient_id, r.guardian_id, ${request.patientId}::integer,
           ${request.appointmentId ?? null}::integer, r.language, ${JSON.stringify(request.payload)}::jsonb, ${dueAt}::timestamptz
    FROM ${recipientOf(sql`${request.patientId}::integer`, today(ctx))} r
    ON CONFLICT (idempotency_key) DO NOTHING`.execute(ctx.db);
  return Number(result.numAffectedRows ?? 0);
}
