import { sql, type RawBuilder } from 'kysely';

// Days off as SQL, asked the same way by every rule that needs them: the bookable-slot rule (a time
// on a day off cannot be booked), the rule for appointments a day off left behind (needs-reschedule.ts),
// and slot generation (no slots are made on them). Days off are clinic days. The subqueries' aliases
// (off_h, off_l) are their own, so that a caller's `h` or `l` is never captured.

/** SQL: the clinic day an instant falls on. */
export function clinicDayOf(instant: RawBuilder<unknown>, timezone: string): RawBuilder<string> {
  return sql<string>`(${instant} AT TIME ZONE ${timezone})::date`;
}

/** SQL: whether the clinic is closed that day (a clinic holiday). */
export function isClinicHoliday(day: RawBuilder<unknown>): RawBuilder<boolean> {
  return sql<boolean>`EXISTS (SELECT 1 FROM clinic_holidays off_h WHERE off_h.holiday_on = ${day})`;
}

/** SQL: whether the therapist is on leave that day. */
export function isOnLeave(therapistId: RawBuilder<unknown>, day: RawBuilder<unknown>): RawBuilder<boolean> {
  return sql<boolean>`EXISTS (SELECT 1 FROM therapist_leave off_l WHERE off_l.therapist_id = ${therapistId} AND ${day} BETWEEN off_l.starts_on AND off_l.ends_on)`;
}

/**
 * SQL: the clinic holidays from `from` (a date) on, as a set with column `day`: for statements over
 * many appointments, which join it once instead of asking isClinicHoliday of every row.
 */
export function clinicHolidaysFrom(from: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`(SELECT off_h.holiday_on AS day FROM clinic_holidays off_h WHERE off_h.holiday_on >= ${from})`;
}

/** SQL: each day of leave from `from` (a date) on, as a set with columns `therapist_id` and `day` (no duplicates). */
export function leaveDaysFrom(from: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`(SELECT DISTINCT off_l.therapist_id, off_d::date AS day
    FROM therapist_leave off_l
    CROSS JOIN generate_series(greatest(off_l.starts_on, ${from}), off_l.ends_on, interval '1 day') off_d
    WHERE off_l.ends_on >= ${from})`;
}
