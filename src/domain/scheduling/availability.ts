import { sql } from 'kysely';
import { z } from 'zod';
import type { DomainContext } from '../context.js';
import { InvalidInputError, parseInput } from '../errors.js';
import { authorize } from '../policy.js';
import { allOf, minNoticeApplies, slotPredicates, type Asker } from './bookable-rule.js';
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
    /** Staff looking inside the clinic's minimum notice on purpose (families never do). */
    shortNotice: z.boolean().default(false),
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
 * What can be booked for a service between two clinic dates (inclusive), earliest first: the slots the
 * bookable-slot rule (bookable-rule.ts) lets this asker book, the one the booking statement enforces.
 */
export async function findAvailability(ctx: DomainContext, raw: AvailabilityInput): Promise<AvailableSlot[]> {
  const input = parseInput(availabilityInput, raw);
  // Patients and guardians (the bots) see free times for themselves or their children only.
  if (ctx.actor.kind === 'patient' || ctx.actor.kind === 'guardian') await requireInCare(ctx, input.patientId);
  else authorize(ctx.actor, 'schedule.read');
  const service = await requireActiveService(ctx, input.serviceId);
  if (addDays(input.from, 120) < input.to) throw new InvalidInputError('to: may be at most 120 days after from.');

  const from = zonedInstant(input.from, '00:00', ctx.timezone);
  const to = zonedInstant(addDays(input.to, 1), '00:00', ctx.timezone);
  const asker: Asker = { applyMinNotice: minNoticeApplies(ctx.actor, input.shortNotice), patientId: input.patientId ?? null };
  const therapistId = input.therapistId ?? null;
  const { rows } = await sql<AvailableSlot>`
    SELECT s.id AS "slotId", s.therapist_id AS "therapistId", t.full_name AS "therapistName",
           s.starts_at AS "startsAt", s.starts_at + make_interval(mins => sv.duration_minutes) AS "endsAt",
           s.max_bookings - (SELECT count(*)::integer FROM appointments a WHERE a.slot_id = s.id AND a.status <> 'cancelled') AS "freePlaces"
    FROM appointment_slots s
    JOIN therapists t ON t.id = s.therapist_id
    JOIN services sv ON sv.id = ${service.id}
    WHERE s.starts_at >= ${from} AND s.starts_at < ${to}
      AND (${therapistId}::integer IS NULL OR s.therapist_id = ${therapistId}::integer)
      AND ${allOf(slotPredicates(ctx.clock.now(), asker, ctx.timezone))}
    ORDER BY s.starts_at, t.full_name
    LIMIT ${input.limit}`.execute(ctx.db);
  return rows;
}
