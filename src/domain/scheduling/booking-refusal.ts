import { sql } from 'kysely';
import type { DomainContext } from '../context.js';
import { ConflictError, InvalidInputError, NotFoundError, type DomainError } from '../errors.js';
import { clinicTime, formatFriendly, formatFriendlyDay } from '../time.js';
import { isOnLeave } from './day-off-sql.js';
import { REFUSAL_ORDER, slotPredicates, timePredicates, type Asker, type RefusalReason } from './bookable-rule.js';

// A refused booking, told by the rule that refused it (bookable-rule.ts): the same predicates the
// booking statement enforces, selected as columns, and the first that failed in REFUSAL_ORDER.

export interface Refusal {
  reason: RefusalReason | 'not_a_slot_time';
  error: DomainError;
}

const conflict = (reason: Refusal['reason'], message: string, slotId?: number): Refusal => ({
  reason,
  error: new ConflictError(message, { reason, ...(slotId ? { slotId } : {}) }),
});
const invalid = (reason: Refusal['reason'], message: string, slotId?: number): Refusal => ({
  reason,
  error: new InvalidInputError(message, { reason, ...(slotId ? { slotId } : {}) }),
});

interface TimeFacts {
  past: boolean;
  min_notice: boolean;
  max_advance: boolean;
  min_notice_minutes: number;
  max_advance_days: number;
}

/** The refusals every time shares (past, notice, advance), first that applies. */
function timeRefusal(facts: TimeFacts, now: Date, what: string, timezone: string, slotId?: number): Refusal | null {
  if (!facts.past) return invalid('past', `${what} is in the past.`, slotId);
  if (!facts.min_notice) {
    const notice = facts.min_notice_minutes % 60 ? `${facts.min_notice_minutes} minutes'` : `${facts.min_notice_minutes / 60} hours'`;
    return conflict('min_notice', `Appointments need at least ${notice} notice: ${what} is sooner.`, slotId);
  }
  if (!facts.max_advance) {
    const last = formatFriendlyDay(new Date(now.getTime() + facts.max_advance_days * 86_400_000 - 1), timezone);
    return conflict('max_advance', `${what} is more than ${facts.max_advance_days} days ahead: the clinic books up to ${last}.`, slotId);
  }
  return null;
}

type SlotFacts = TimeFacts &
  Record<'holiday' | 'leave' | 'open' | 'therapist_inactive' | 'other_service' | 'too_short' | 'not_qualified' | 'patient_clash' | 'full', boolean> & {
    starts_at: Date;
    blocked_reason: string | null;
    therapist_name: string;
    service_name: string;
    duration_minutes: number;
    slot_minutes: number;
    holiday_name: string | null;
    clash: string | null;
    just_taken: boolean;
  };

/** Why this slot cannot be booked for this service by this asker (the first reason in REFUSAL_ORDER), or null. */
export async function slotRefusal(ctx: DomainContext, input: { slotId: number; serviceId: number }, asker: Asker): Promise<Refusal | null> {
  const p = slotPredicates(ctx.clock.now(), asker, ctx.timezone);
  const { rows } = await sql<SlotFacts>`
    SELECT ${sql.join(Object.entries(p).map(([name, predicate]) => sql`${predicate} AS ${sql.ref(name)}`))},
           (SELECT min_notice_minutes FROM clinic_settings) AS min_notice_minutes,
           (SELECT max_advance_days FROM clinic_settings) AS max_advance_days,
           s.starts_at, s.blocked_reason, t.full_name AS therapist_name, sv.name AS service_name, sv.duration_minutes,
           (extract(epoch FROM s.ends_at - s.starts_at) / 60)::integer AS slot_minutes,
           (SELECT h.name FROM clinic_holidays h WHERE h.holiday_on = (s.starts_at AT TIME ZONE ${ctx.timezone})::date) AS holiday_name,
           (SELECT pa.appointment_number FROM appointments pa
             WHERE pa.patient_id = ${asker.patientId}::integer AND pa.status <> 'cancelled'
               AND pa.id IS DISTINCT FROM ${asker.movingAppointmentId ?? null}::integer
               AND tstzrange(pa.starts_at, pa.ends_at) && tstzrange(s.starts_at, s.starts_at + make_interval(mins => sv.duration_minutes))
             ORDER BY pa.starts_at LIMIT 1) AS clash,
           -- Full because of a booking made this minute: a race lost, not a place long gone.
           EXISTS (SELECT 1 FROM appointments a WHERE a.slot_id = s.id AND a.status <> 'cancelled'
                   AND a.created_at > now() - interval '1 minute') AS just_taken
    FROM appointment_slots s
    JOIN therapists t ON t.id = s.therapist_id
    JOIN services sv ON sv.id = ${input.serviceId} AND sv.active
    WHERE s.id = ${input.slotId}`.execute(ctx.db);
  const f = rows[0];
  if (!f) {
    const slot = await ctx.db.selectFrom('appointment_slots').select('id').where('id', '=', input.slotId).executeTakeFirst();
    throw new NotFoundError(slot ? `No active service with id ${input.serviceId}.` : `No slot with id ${input.slotId}.`);
  }
  const label = `${formatFriendly(f.starts_at, ctx.timezone)} with ${f.therapist_name}`;
  const day = formatFriendlyDay(f.starts_at, ctx.timezone);
  const id = input.slotId;
  const onHoliday = !f.holiday || (!f.open && f.blocked_reason === 'holiday');
  const onLeave = !f.leave || (!f.open && f.blocked_reason === 'leave');
  const explain: Partial<Record<RefusalReason, () => Refusal | null>> = {
    past: () => timeRefusal({ ...f, min_notice: true, max_advance: true }, ctx.clock.now(), `The slot ${label}`, ctx.timezone, id),
    min_notice: () => timeRefusal({ ...f, max_advance: true }, ctx.clock.now(), `The slot ${label}`, ctx.timezone, id),
    max_advance: () => timeRefusal(f, ctx.clock.now(), `The slot ${label}`, ctx.timezone, id),
    holiday: () => (onHoliday ? conflict('holiday', `${day} is a clinic holiday${f.holiday_name ? ` (${f.holiday_name})` : ''}.`, id) : null),
    leave: () => (onLeave ? conflict('leave', `${f.therapist_name} is on leave on ${day}.`, id) : null),
    blocked: () => (f.open ? null : conflict('blocked', `The slot ${label} is blocked${f.blocked_reason ? ` (${f.blocked_reason})` : ''}.`, id)),
    therapist_inactive: () => (f.therapist_inactive ? null : conflict('therapist_inactive', `${f.therapist_name} is no longer taking appointments.`, id)),
    other_service: () => (f.other_service ? null : invalid('other_service', `The slot ${label} is reserved for another service.`, id)),
    too_short: () =>
      f.too_short ? null : invalid('too_short', `${f.service_name} takes ${f.duration_minutes} minutes; the slot ${label} has ${f.slot_minutes}.`, id),
    not_qualified: () => (f.not_qualified ? null : invalid('not_qualified', `${f.therapist_name} does not offer ${f.service_name}.`, id)),
    patient_clash: () =>
      f.patient_clash ? null : conflict('patient_clash', `The patient already has an appointment at that time${f.clash ? ` (${f.clash})` : ''}.`, id),
    full: () => (f.full ? null : conflict('full', `The slot ${label} ${f.just_taken ? 'was just taken' : 'is already booked'}.`, id)),
  };
  for (const reason of REFUSAL_ORDER) {
    const refusal = explain[reason]?.();
    if (refusal) return refusal;
  }
  return null;
}

/**
 * Why a time with no slot (yet) cannot be booked with a therapist, or null when the time itself is
 * bookable and its slot can be opened: past, notice, advance, a clinic holiday, the therapist's leave,
 * outside their working hours. With no therapist, only what holds for the whole clinic.
 */
export async function unslottedTimeRefusal(
  ctx: DomainContext,
  input: { startsAt: Date; therapistId: number | null; durationMinutes: number },
  asker: Asker,
): Promise<Refusal | null> {
  const p = timePredicates(ctx.clock.now(), asker);
  const { rows } = await sql<TimeFacts & { holiday: string | null; on_leave: boolean; working: boolean; hours: string | null; therapist_name: string | null }>`
    SELECT ${p.past} AS past, ${p.min_notice} AS min_notice, ${p.max_advance} AS max_advance,
           (SELECT min_notice_minutes FROM clinic_settings) AS min_notice_minutes,
           (SELECT max_advance_days FROM clinic_settings) AS max_advance_days,
           (SELECT h.name FROM clinic_holidays h WHERE h.holiday_on = lc.day) AS holiday,
           ${isOnLeave(sql`${input.therapistId}::integer`, sql`lc.day`)} AS on_leave,
           EXISTS (SELECT 1 FROM working_hours wh WHERE wh.therapist_id = ${input.therapistId}::integer
                   AND wh.weekday = extract(isodow FROM lc.day) AND lc.at >= wh.start_time
                   AND lc.at + make_interval(mins => ${input.durationMinutes}::integer) <= wh.end_time) AS working,
           (SELECT string_agg(to_char(wh.start_time, 'HH24:MI') || '–' || to_char(wh.end_time, 'HH24:MI'), ', ' ORDER BY wh.start_time)
              FROM working_hours wh WHERE wh.therapist_id = ${input.therapistId}::integer AND wh.weekday = extract(isodow FROM lc.day)) AS hours,
           (SELECT full_name FROM therapists WHERE id = ${input.therapistId}::integer) AS therapist_name
    FROM (SELECT ${input.startsAt}::timestamptz AS starts_at) s
    CROSS JOIN LATERAL (SELECT (s.starts_at AT TIME ZONE ${ctx.timezone})::date AS day, (s.starts_at AT TIME ZONE ${ctx.timezone})::time AS at) lc`.execute(
    ctx.db,
  );
  const f = rows[0]!;
  const when = formatFriendly(input.startsAt, ctx.timezone);
  const day = formatFriendlyDay(input.startsAt, ctx.timezone);
  const time = timeRefusal(f, ctx.clock.now(), when, ctx.timezone);
  if (time) return time;
  if (f.holiday !== null) return conflict('holiday', `${day} is a clinic holiday (${f.holiday}).`);
  if (input.therapistId === null) return null;
  if (f.on_leave) return conflict('leave', `${f.therapist_name} is on leave on ${day}.`);
  if (!f.working) {
    const hours = f.hours ? `working hours that day: ${f.hours}` : 'no working hours that day';
    return conflict('outside_hours', `${f.therapist_name} does not work at ${clinicTime(input.startsAt, ctx.timezone)} on ${day} (${hours}).`);
  }
  return null;
}
