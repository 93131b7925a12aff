import { sql } from 'kysely';
import { z } from 'zod';
import type { DomainContext } from '../context.js';
import { InvalidInputError, parseInput } from '../errors.js';
import { authorize } from '../policy.js';
import { requireClinicSettings } from '../clinic/settings.js';
import { addDays, isoDate, zonedInstant } from '../time.js';
import { requireActiveService } from './bookable-slot.js';
import { requireInCare } from '../people/in-care.js';

const availabilityInput = z
  .object({
    serviceId: z.number().int().positive(),
    /** One therapist, or any therapist who offers the service. */
    therapistId: z.number().int().positive().optional(),
    from: isoDate,
    to: isoDate,
    /** Leave out times this patient is already booked at. */
    patientId: z.number().int().positive().optional(),
    /** Front-desk bookings may be made inside the minimum notice period. */
    ignoreMinimumNotice: z.boolean().default(false),
    limit: z.number().int().min(1).max(5000).default(500),
  })
  .refine((i) => i.to >= i.from, { message: 'must not be before from', path: ['to'] });

export type AvailabilityInput = z.input<typeof availabilityInput>;

export interface AvailableSlot {
  slotId: number;
  therapistId: number;
  therapistName: string;
  startsAt: Date;
  endsAt: Date;
  freePlaces: number;
}

/**
 * What can be booked for a service between two clinic dates (inclusive), earliest first: open slots
 * with room left, long enough for the service, of a therapist who offers it, outside leave and holidays,
 * within the notice and advance-booking windows, and not clashing with the patient's own appointments.
 */
export async function findAvailability(ctx: DomainContext, raw: AvailabilityInput): Promise<AvailableSlot[]> {
  const input = parseInput(availabilityInput, raw);
  // Patients and guardians (the bots) see free times for themselves or their children only.
  if (ctx.actor.kind === 'patient' || ctx.actor.kind === 'guardian') await requireInCare(ctx, input.patientId);
  else authorize(ctx.actor, 'schedule.read');
  const [service, settings] = await Promise.all([requireActiveService(ctx, input.serviceId), requireClinicSettings(ctx)]);
  if (addDays(input.from, 120) < input.to) throw new InvalidInputError('to: may be at most 120 days after from.');

  const now = ctx.clock.now().getTime();
  const earliest = new Date(Math.max(
    zonedInstant(input.from, '00:00', ctx.timezone).getTime(),
    input.ignoreMinimumNotice ? now : now + settings.min_notice_minutes * 60_000,
  ));
  const latest = new Date(Math.min(
    zonedInstant(addDays(input.to, 1), '00:00', ctx.timezone).getTime(),
    now + settings.max_advance_days * 86_400_000,
  ));
  if (earliest >= latest) return [];

  const duration = sql`make_interval(mins => ${service.duration_minutes}::integer)`;
  const therapistId = input.therapistId ?? null;
  const patientId = input.patientId ?? null;
  // Days off inside the window, turned into instants once: slots are compared with a few ranges,
  // not each slot's date with every leave a therapist ever took.
  const { rows } = await sql<AvailableSlot>`
    WITH days_off AS MATERIALIZED (
      SELECT l.therapist_id, (l.starts_on::timestamp AT TIME ZONE ${ctx.timezone}) AS from_at,
             ((l.ends_on + 1)::timestamp AT TIME ZONE ${ctx.timezone}) AS to_at
      FROM therapist_leave l WHERE l.ends_on >= ${input.from}::date AND l.starts_on <= ${input.to}::date
      UNION ALL
      SELECT NULL, (h.holiday_on::timestamp AT TIME ZONE ${ctx.timezone}), ((h.holiday_on + 1)::timestamp AT TIME ZONE ${ctx.timezone})
      FROM clinic_holidays h WHERE h.holiday_on BETWEEN ${input.from}::date AND ${input.to}::date
    )
    SELECT s.id AS "slotId", s.therapist_id AS "therapistId", t.full_name AS "therapistName",
           s.starts_at AS "startsAt", s.starts_at + ${duration} AS "endsAt",
           s.max_bookings - taken.n AS "freePlaces"
    FROM appointment_slots s
    JOIN therapists t ON t.id = s.therapist_id AND t.active
    CROSS JOIN LATERAL (
      SELECT count(*)::integer AS n FROM appointments a WHERE a.slot_id = s.id AND a.status <> 'cancelled'
    ) taken
    WHERE s.status = 'open'
      AND s.starts_at >= ${earliest} AND s.starts_at < ${latest}
      AND s.ends_at - s.starts_at >= ${duration}
      AND ${service.max_participants > 1 ? sql`s.service_id = ${service.id}` : sql`(s.service_id IS NULL OR s.service_id = ${service.id})`}
      AND (${therapistId}::integer IS NULL OR s.therapist_id = ${therapistId}::integer)
      AND (${service.specialization_code}::text IS NULL OR EXISTS (
        SELECT 1 FROM therapist_specializations ts
        WHERE ts.therapist_id = s.therapist_id AND ts.specialization_code = ${service.specialization_code}::text))
      AND taken.n < s.max_bookings
      AND NOT EXISTS (
        SELECT 1 FROM days_off o
        WHERE (o.therapist_id IS NULL OR o.therapist_id = s.therapist_id) AND s.starts_at >= o.from_at AND s.starts_at < o.to_at)
      AND (${patientId}::integer IS NULL OR NOT EXISTS (
        SELECT 1 FROM appointments pa
        WHERE pa.patient_id = ${patientId}::integer AND pa.status <> 'cancelled'
          AND tstzrange(pa.starts_at, pa.ends_at) && tstzrange(s.starts_at, s.starts_at + ${duration})))
    ORDER BY s.starts_at, t.full_name
    LIMIT ${input.limit}`.execute(ctx.db);
  return rows;
}

/** The free slot starting exactly at a clinic date and time, for a service, with a therapist or any. */
export async function findSlotAt(
  ctx: DomainContext,
  input: { serviceId: number; therapistId?: number; patientId?: number; date: string; time: string },
): Promise<{ slot: AvailableSlot | undefined; sameDay: AvailableSlot[] }> {
  const sameDay = await findAvailability(ctx, {
    serviceId: input.serviceId,
    ...(input.therapistId !== undefined ? { therapistId: input.therapistId } : {}),
    ...(input.patientId !== undefined ? { patientId: input.patientId } : {}),
    from: input.date,
    to: input.date,
    ignoreMinimumNotice: ctx.actor.kind === 'staff' || ctx.actor.kind === 'system',
  });
  const at = zonedInstant(input.date, input.time, ctx.timezone).getTime();
  return { slot: sameDay.find((s) => s.startsAt.getTime() === at), sameDay };
}
