import { sql, type RawBuilder } from 'kysely';
import { clinicDayOf, isClinicHoliday, isOnLeave } from './day-off-sql.js';

// THE rule for appointments a day off left behind: an appointment whose therapist is on leave, or
// on a clinic holiday, on its (clinic) day, needs rescheduling. Leave and holidays forced over
// bookings (`--force`) keep the appointments booked; this rule is what flags them in the desk's
// listings, keeps reminders from going out for them, and is the dispatcher's last check before
// sending. Written once, here, as SQL fragments: everything that needs it builds on these.

/** Why an appointment must be rescheduled. A holiday wins over leave, as for blocked slots. */
export type RescheduleReason = 'clinic_holiday' | 'therapist_leave';

/** In the desk's words; also the `last_error` of a reminder skipped for it (`roshni notifications list`). */
export const RESCHEDULE_NOTES: Record<RescheduleReason, string> = {
  therapist_leave: 'therapist on leave: to reschedule',
  clinic_holiday: 'clinic holiday: to reschedule',
};

export interface AppointmentColumns {
  /** SQL of the appointment's therapist id. */
  therapistId: RawBuilder<unknown>;
  /** SQL of its start (timestamptz). */
  startsAt: RawBuilder<unknown>;
  /** SQL of its status, when the rows may include appointments that are over or cancelled. */
  status?: RawBuilder<unknown>;
}

/**
 * SQL: 'clinic_holiday', 'therapist_leave' or NULL — why the appointment needs rescheduling. With
 * `status`, only a live appointment (scheduled or confirmed) can need it; without, the caller's rows
 * are live already. `timezone` is the clinic's: days off are clinic days.
 */
export function rescheduleReason(timezone: string, a: AppointmentColumns): RawBuilder<RescheduleReason | null> {
  const day = clinicDayOf(a.startsAt, timezone);
  const live = a.status ? sql`${a.status}::text IN ('scheduled', 'confirmed') AND ` : sql.raw('');
  return reasonOf(sql`${live}${isClinicHoliday(day)}`, sql`${live}${isOnLeave(a.therapistId, day)}`);
}

/**
 * SQL: the reason from whether the appointment's day is a clinic holiday and whether its therapist is
 * on leave then, however the caller found out (rescheduleReason asks per row; a statement over many
 * appointments may join clinicHolidaysFrom/leaveDaysFrom once instead).
 */
export function reasonOf(onHoliday: RawBuilder<unknown>, onLeave: RawBuilder<unknown>): RawBuilder<RescheduleReason | null> {
  return sql<RescheduleReason | null>`(CASE WHEN ${onHoliday} THEN 'clinic_holiday' WHEN ${onLeave} THEN 'therapist_leave' END)`;
}

/** SQL: `{ "reason": … }` (jsonb) for an appointment that needs rescheduling, else NULL: the listings' column. */
export function rescheduleFlag(timezone: string, a: AppointmentColumns): RawBuilder<{ reason: RescheduleReason } | null> {
  return sql<{ reason: RescheduleReason } | null>`(SELECT CASE WHEN x.reason IS NOT NULL THEN jsonb_build_object('reason', x.reason) END
    FROM (SELECT ${rescheduleReason(timezone, a)} AS reason) x)`;
}

/** SQL: the desk's words (RESCHEDULE_NOTES) for a reason given as SQL; NULL for NULL. */
export function rescheduleNote(reason: RawBuilder<unknown>): RawBuilder<string | null> {
  const cases = Object.entries(RESCHEDULE_NOTES).map(([key, note]) => sql`WHEN ${key} THEN ${note}`);
  return sql<string | null>`(CASE ${reason} ${sql.join(cases, sql` `)} END)`;
}

/** SQL: whether a `last_error` is one of RESCHEDULE_NOTES (a reminder skipped for a day off). */
export function isRescheduleNote(lastError: RawBuilder<unknown>): RawBuilder<boolean> {
  return sql<boolean>`coalesce(${lastError} = ANY(${Object.values(RESCHEDULE_NOTES)}::text[]), false)`;
}
