import { sql, type RawBuilder } from 'kysely';
import type { Actor } from '../actor.js';
import { clinicDayOf, isClinicHoliday, isOnLeave } from './day-off-sql.js';

// What makes a slot bookable: the one home of the rule. Each condition is a named SQL predicate over a
// slot `s` (appointment_slots), a service `sv` and the slot's therapist `t`. The booking statement and
// availability AND them together to enforce the rule; an explanation selects the same predicates as
// columns and names the first that failed, in the order the desk is told (REFUSAL_ORDER). The database's
// constraints (capacity, no overlapping appointments) still decide a race between two bookings.

/** Why a time cannot be booked, in the order of precedence the desk and the family are told. */
export const REFUSAL_ORDER = [
  'past',
  'min_notice',
  'max_advance',
  'holiday',
  'leave',
  'outside_hours',
  'blocked',
  'therapist_inactive',
  'other_service',
  'too_short',
  'not_qualified',
  'patient_clash',
  'full',
] as const;
// A time whose slot is not made yet is no refusal: within the booking window, its slot is made from
// the therapist's working hours (slot-at.ts); beyond it, max_advance refuses first.
export type RefusalReason = (typeof REFUSAL_ORDER)[number];

/** Who asks, and whether the clinic's minimum notice holds them. */
export interface Asker {
  /** The minimum notice holds families always, staff and the clinic's own jobs unless they book at short notice on purpose. */
  applyMinNotice: boolean;
  /** The patient the booking is for: their own appointments must not clash (the one being moved excepted). */
  patientId: number | null;
  movingAppointmentId?: number | null;
}

export function minNoticeApplies(actor: Actor, shortNotice = false): boolean {
  if (actor.kind === 'patient' || actor.kind === 'guardian') return true;
  return !shortNotice;
}

/** The predicates about a time alone (a slot's start `s.starts_at`): also asked of a time with no slot. */
export function timePredicates(now: Date, asker: Pick<Asker, 'applyMinNotice'>) {
  return {
    past: sql<boolean>`s.starts_at > ${now}::timestamptz`,
    min_notice: asker.applyMinNotice
      ? sql<boolean>`s.starts_at >= ${now}::timestamptz + make_interval(mins => (SELECT min_notice_minutes FROM clinic_settings))`
      : sql<boolean>`true`,
    max_advance: sql<boolean>`s.starts_at < ${now}::timestamptz + make_interval(days => (SELECT max_advance_days FROM clinic_settings))`,
  } satisfies Partial<Record<RefusalReason, RawBuilder<boolean>>>;
}

/** Every predicate a slot must pass, by the reason its failure gives (`open` false: blocked by hand). */
export function slotPredicates(now: Date, asker: Asker, timezone: string) {
  const patientId = asker.patientId;
  const day = clinicDayOf(sql`s.starts_at`, timezone);
  return {
    ...timePredicates(now, asker),
    // Days off are also blocked on their slots (days-off.ts); asked here too, so that a day off is
    // honoured even on a slot left open.
    holiday: sql<boolean>`NOT ${isClinicHoliday(day)}`,
    leave: sql<boolean>`NOT ${isOnLeave(sql`s.therapist_id`, day)}`,
    open: sql<boolean>`s.status = 'open'`,
    therapist_inactive: sql<boolean>`t.active`,
    // A group service is booked only into its own slots; any other into a free slot or one of its own.
    other_service: sql<boolean>`(CASE WHEN sv.max_participants > 1 THEN s.service_id IS NOT DISTINCT FROM sv.id
                                      ELSE s.service_id IS NULL OR s.service_id = sv.id END)`,
    too_short: sql<boolean>`s.ends_at - s.starts_at >= make_interval(mins => sv.duration_minutes)`,
    not_qualified: sql<boolean>`(sv.specialization_code IS NULL OR EXISTS (
      SELECT 1 FROM therapist_specializations ts
      WHERE ts.therapist_id = s.therapist_id AND ts.specialization_code = sv.specialization_code))`,
    patient_clash: sql<boolean>`(${patientId}::integer IS NULL OR NOT EXISTS (
      SELECT 1 FROM appointments pa
      WHERE pa.patient_id = ${patientId}::integer AND pa.status <> 'cancelled'
        AND pa.id IS DISTINCT FROM ${asker.movingAppointmentId ?? null}::integer
        AND tstzrange(pa.starts_at, pa.ends_at) && tstzrange(s.starts_at, s.starts_at + make_interval(mins => sv.duration_minutes))))`,
    full: sql<boolean>`(SELECT count(*) FROM appointments a
      WHERE a.slot_id = s.id AND a.status <> 'cancelled' AND a.id IS DISTINCT FROM ${asker.movingAppointmentId ?? null}::integer) < s.max_bookings`,
  };
}

export type SlotPredicates = ReturnType<typeof slotPredicates>;

/** All of them, for a WHERE clause. */
export function allOf(predicates: Record<string, RawBuilder<boolean>>, leaveOut: string[] = []): RawBuilder<boolean> {
  const kept = Object.entries(predicates).filter(([name]) => !leaveOut.includes(name));
  return sql<boolean>`(${sql.join(
    kept.map(([, p]) => p),
    sql` AND `,
  )})`;
}
