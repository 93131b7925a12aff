import { sql } from 'kysely';
import { recordAudit, type AuditEntry } from '../audit/record-audit.js';
import { inTransaction, type DomainContext } from '../context.js';
import { ConflictError } from '../errors.js';
import { reminderInsert } from '../notifications/appointment-messages.js';
import { offerReschedule, type DayOffOccasion } from '../notifications/reschedule-offers.js';
import { formatFriendly } from '../time.js';
import { LIVE_STATUSES } from './appointment-lifecycle.js';
import { appointmentsWithNames } from './appointment-queries.js';
import { clinicDaysSpan, zoneLabel, type ClinicDays } from './clinic-days.js';

// What leave and clinic holidays share: days off that strand appointments and close slots.

/** `blocked_reason` of slots closed by a day off; leave and holidays reopen only these. */
export const DAY_OFF_REASONS = ['leave', 'holiday'] as const;

/**
 * Slot generation takes this lock shared (two generations may run side by side); adding or removing
 * a day off takes it exclusively. So a generation never creates slots on a day being taken off,
 * and a day off never misses the slots of a generation that was running.
 */
export async function lockCalendar(ctx: DomainContext, mode: 'generate' | 'change_days_off'): Promise<void> {
  if (mode === 'generate') await sql`SELECT pg_advisory_xact_lock_shared(hashtext('roshni:calendar'))`.execute(ctx.db);
  else await sql`SELECT pg_advisory_xact_lock(hashtext('roshni:calendar'))`.execute(ctx.db);
}

/** Adds or removes a day off in one transaction that holds the calendar exclusively (lockCalendar). */
export function changingDaysOff<T>(ctx: DomainContext, change: (tx: DomainContext) => Promise<T>): Promise<T> {
  return inTransaction(ctx, async (tx) => {
    await lockCalendar(tx, 'change_days_off');
    return change(tx);
  });
}

export type StrandedAppointment = Awaited<ReturnType<typeof liveAppointmentsDuring>>[number];

/**
 * Live appointments on the given days (of one therapist, or everyone's). The days' slots are locked
 * first: a booking in flight finishes before we look, and a later one waits and then finds its slot blocked.
 */
async function liveAppointmentsDuring(ctx: DomainContext, days: ClinicDays & { therapistId?: number }) {
  const { start, end } = clinicDaysSpan(days, ctx.timezone);
  await ctx.db
    .selectFrom('appointment_slots')
    .select('id')
    .where('starts_at', '<', end)
    .where('ends_at', '>', start)
    .$if(days.therapistId !== undefined, (qb) => qb.where('therapist_id', '=', days.therapistId!))
    .orderBy('id')
    .forUpdate()
    .execute();
  return appointmentsWithNames(ctx)
    .where('a.status', 'in', LIVE_STATUSES)
    .where('a.starts_at', '<', end)
    .where('a.ends_at', '>', start)
    .$if(days.therapistId !== undefined, (qb) => qb.where('a.therapist_id', '=', days.therapistId!))
    .orderBy('a.starts_at')
    .orderBy('a.appointment_number')
    .execute();
}

/** "APT-000012 Mon, 7 Dec, 09:00, APT-000013 … (times in IST)", at most ten listed. */
function listStranded(appointments: StrandedAppointment[], timeZone: string): string {
  const shown = appointments.slice(0, 10).map((a) => `${a.appointment_number} ${formatFriendly(a.starts_at, timeZone)}`);
  const more = appointments.length > shown.length ? `; and ${appointments.length - shown.length} more` : '';
  return `${shown.join('; ')}${more} (times in ${zoneLabel(timeZone, appointments[0]?.starts_at ?? new Date(0))})`;
}

/**
 * Brings the day-off blocks of the given days up to date: open slots on a holiday or a therapist's
 * leave become blocked (a holiday wins over leave as the reason), and slots blocked for a day off
 * that no longer applies reopen. Slots blocked by hand, for any other reason, are left alone.
 */
async function settleDayOffBlocks(ctx: DomainContext, days: ClinicDays & { therapistId?: number }): Promise<{ blocked: number; reopened: number }> {
  const { start, end } = clinicDaysSpan(days, ctx.timezone);
  const therapistId = days.therapistId ?? null;
  const { rows } = await sql<{ status: 'open' | 'blocked'; previous: 'open' | 'blocked' }>`
    WITH due AS (
      SELECT s.id, s.status AS previous,
        CASE
          WHEN EXISTS (SELECT 1 FROM clinic_holidays h
                       WHERE h.holiday_on = (s.starts_at AT TIME ZONE ${ctx.timezone})::date) THEN 'holiday'
          WHEN EXISTS (SELECT 1 FROM therapist_leave l
                       WHERE l.therapist_id = s.therapist_id
                         AND (s.starts_at AT TIME ZONE ${ctx.timezone})::date BETWEEN l.starts_on AND l.ends_on) THEN 'leave'
        END AS reason
      FROM appointment_slots s
      WHERE s.starts_at >= ${start} AND s.starts_at < ${end}
        AND (${therapistId}::integer IS NULL OR s.therapist_id = ${therapistId}::integer)
        AND (s.status = 'open' OR s.blocked_reason = ANY(${[...DAY_OFF_REASONS]}::text[]))
    )
    UPDATE appointment_slots s
    SET status = (CASE WHEN due.reason IS NULL THEN 'open' ELSE 'blocked' END)::slot_status,
        blocked_reason = due.reason
    FROM due
    WHERE s.id = due.id AND s.blocked_reason IS DISTINCT FROM due.reason
    RETURNING s.status, due.previous`.execute(ctx.db);
  return {
    blocked: rows.filter((r) => r.status === 'blocked' && r.previous === 'open').length,
    reopened: rows.filter((r) => r.status === 'open' && r.previous === 'blocked').length,
  };
}

/**
 * Brings the reminders of the live appointments on the given days (of one therapist, or everyone's)
 * in line with the days off, by the one rule (needs-reschedule.ts, applied by reminderInsert): an
 * appointment a day off now falls on has its reminders recorded as skipped, with why; one a removed
 * day off no longer covers has them back. Returns how many reminders are now held back.
 */
async function settleDayOffReminders(ctx: DomainContext, days: ClinicDays & { therapistId?: number }): Promise<number> {
  const { start, end } = clinicDaysSpan(days, ctx.timezone);
  const therapistId = days.therapistId ?? null;
  const source = sql`(SELECT id AS appointment_id, patient_id, therapist_id, starts_at, appointment_number
    FROM appointments
    WHERE status IN ('scheduled', 'confirmed') AND starts_at < ${end} AND ends_at > ${start}
      AND starts_at > ${ctx.clock.now()}::timestamptz
      AND (${therapistId}::integer IS NULL OR therapist_id = ${therapistId}::integer))`;
  const { rows } = await sql<{ held: string }>`
    WITH written AS (${reminderInsert(ctx, source)} RETURNING state)
    SELECT count(*) FILTER (WHERE state = 'skipped') AS held FROM written`.execute(ctx.db);
  return Number(rows[0]?.held ?? 0);
}

/**
 * The live appointments a new day off falls on. While there are any, the day off is refused unless
 * forced (then the caller returns them for the desk to reschedule); the refusal names them and the
 * way out: "<during(count)>: <the appointments>. Reschedule them first, or add --force to <forceTo> …".
 */
export async function strandedByDayOff(
  ctx: DomainContext,
  days: ClinicDays & { therapistId?: number },
  refusal: { force: boolean; during: (count: number) => string; forceTo: string },
): Promise<StrandedAppointment[]> {
  const stranded = await liveAppointmentsDuring(ctx, days);
  if (stranded.length && !refusal.force) {
    throw new ConflictError(
      `${refusal.during(stranded.length)}: ${listStranded(stranded, ctx.timezone)}. ` +
        `Reschedule them first, or add --force to ${refusal.forceTo} and list them for rescheduling.`,
      { reason: 'appointments_during_day_off', appointments: stranded.map((a) => a.appointment_number) },
    );
  }
  return stranded;
}

/** After a day off is added or removed: its slots blocked or reopened, and its appointments' reminders held back or restored. */
export async function settleDaysOff(ctx: DomainContext, days: ClinicDays & { therapistId?: number }) {
  const { blocked, reopened } = await settleDayOffBlocks(ctx, days);
  const remindersHeld = await settleDayOffReminders(ctx, days);
  return { blocked, reopened, remindersHeld };
}

/**
 * What a new day off brings once it is recorded, a holiday or leave alike: its open slots blocked and its
 * appointments' reminders held back (settleDaysOff); the audit entry, with the slots blocked and the
 * appointments it left to reschedule (`stranded`, from strandedByDayOff); and, when the desk asks, their
 * families offered a reschedule message (offerReschedule).
 */
export async function closeDaysOff(
  ctx: DomainContext,
  days: ClinicDays & { therapistId?: number },
  dayOff: { stranded: StrandedAppointment[]; notifyFamilies: boolean; occasion: DayOffOccasion; audit: AuditEntry },
) {
  const { blocked, remindersHeld } = await settleDaysOff(ctx, days);
  const toReschedule = dayOff.stranded.map((a) => a.id);
  await recordAudit(ctx, {
    ...dayOff.audit,
    after: { ...dayOff.audit.after, slotsBlocked: blocked },
    meta: { forced: toReschedule.length > 0, toReschedule },
  });
  const familiesMessaged =
    dayOff.notifyFamilies && toReschedule.length ? await offerReschedule(ctx, { appointmentIds: toReschedule, occasion: dayOff.occasion }) : null;
  return { slotsBlocked: blocked, toReschedule: dayOff.stranded, remindersHeld, familiesMessaged };
}
