import { sql } from 'kysely';
import { z } from 'zod';
import { recordAudit } from '../audit/record-audit.js';
import { inTransaction, type DomainContext } from '../context.js';
import { ConflictError, InvalidInputError, NotFoundError, parseInput } from '../errors.js';
import { authorize } from '../policy.js';
import { requireClinicSettings } from '../clinic/settings.js';
import { resolveTherapist } from '../people/resolve.js';
import { addDays, isoDate } from '../time.js';
import { orderedDays } from './clinic-days.js';
import { lockCalendar } from './days-off.js';
import { isClinicHoliday, isOnLeave } from './day-off-sql.js';
import { requireServiceByCode } from './services.js';

const generateInput = z
  .object({
    from: isoDate,
    to: isoDate,
    therapistId: z.number().int().positive().optional(),
    /** Slots for one service (group sessions take its duration and capacity). */
    serviceCode: z.string().optional(),
    minutes: z.number().int().min(5, 'must be at least 5').max(480, 'must be at most 480 (8 hours)').optional(),
    bufferMinutes: z.number().int().min(0, 'must not be negative').max(240, 'must be at most 240').optional(),
  })
  .superRefine(orderedDays());

export type GenerateSlotsInput = z.input<typeof generateInput>;

export interface GenerationProgress {
  daysDone: number;
  days: number;
  created: number;
}

export interface GeneratedSlots {
  created: number;
  /** Slots the working hours call for that were already there (or overlap one that was). */
  skipped: number;
  minutes: number;
  bufferMinutes: number;
  capacity: number;
  serviceId: number | null;
}

// Days per statement: a year is generated in steps that can each report progress.
const DAYS_PER_STEP = 28;

interface SlotShape {
  serviceId: number | null;
  specializationCode: string | null;
  capacity: number;
  minutes: number;
  buffer: number;
}

/** The length, gap and capacity of the slots asked for: the clinic's defaults, or one service's. */
async function slotShape(ctx: DomainContext, input: z.infer<typeof generateInput>): Promise<SlotShape> {
  const settings = await requireClinicSettings(ctx);
  const service = input.serviceCode ? await requireServiceByCode(ctx, input.serviceCode) : undefined;
  if (service && !service.active) throw new NotFoundError(`The service ${service.code} is no longer offered.`);
  const minutes = input.minutes ?? service?.duration_minutes ?? settings.slot_minutes;
  if (service && minutes < service.duration_minutes) {
    throw new InvalidInputError(`${service.name} takes ${service.duration_minutes} minutes; slots of ${minutes} are too short.`);
  }
  if (input.therapistId !== undefined) {
    const therapist = await resolveTherapist(ctx, input.therapistId);
    if (!therapist.active) throw new ConflictError(`${therapist.full_name} is no longer taking appointments.`);
    if (service?.specialization_code) {
      const qualified = await ctx.db
        .selectFrom('therapist_specializations')
        .select('therapist_id')
        .where('therapist_id', '=', therapist.id)
        .where('specialization_code', '=', service.specialization_code)
        .executeTakeFirst();
      if (!qualified) throw new InvalidInputError(`${therapist.full_name} does not offer ${service.name}.`);
    }
  }
  return {
    serviceId: service?.id ?? null,
    specializationCode: service?.specialization_code ?? null,
    capacity: service?.max_participants ?? 1,
    minutes,
    buffer: input.bufferMinutes ?? settings.slot_buffer_minutes,
  };
}

/** Inserts the slots that the working hours call for on `from`…`to`; returns how many were due and created. */
async function generateDays(ctx: DomainContext, from: string, to: string, therapistId: number | null, shape: SlotShape) {
  const { minutes, buffer } = shape;
  const result = await sql<{ due: number; created: number }>`
    WITH due AS (
      SELECT wh.therapist_id, s.starts_at
      FROM generate_series(${from}::date, ${to}::date, interval '1 day') AS d(day)
      JOIN working_hours wh ON wh.weekday = extract(isodow FROM d.day)
      JOIN therapists t ON t.id = wh.therapist_id AND t.active
      CROSS JOIN LATERAL generate_series(
        (d.day::date + wh.start_time) AT TIME ZONE ${ctx.timezone},
        ((d.day::date + wh.end_time) AT TIME ZONE ${ctx.timezone}) - make_interval(mins => ${minutes}::integer),
        make_interval(mins => ${minutes + buffer}::integer)
      ) AS s(starts_at)
      WHERE (${therapistId}::integer IS NULL OR wh.therapist_id = ${therapistId}::integer)
        AND (${shape.specializationCode}::text IS NULL OR EXISTS (
          SELECT 1 FROM therapist_specializations ts
          WHERE ts.therapist_id = wh.therapist_id AND ts.specialization_code = ${shape.specializationCode}::text))
        AND NOT ${isClinicHoliday(sql`d.day::date`)}
        AND NOT ${isOnLeave(sql`wh.therapist_id`, sql`d.day::date`)}
    ),
    inserted AS (
      INSERT INTO appointment_slots (therapist_id, service_id, starts_at, ends_at, max_bookings)
      SELECT therapist_id, ${shape.serviceId}::integer, starts_at,
             starts_at + make_interval(mins => ${minutes}::integer), ${shape.capacity}::integer
      FROM due
      -- One order for every generation, so concurrent runs wait on each other instead of deadlocking.
      ORDER BY therapist_id, starts_at
      ON CONFLICT DO NOTHING
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM due)::integer AS due, (SELECT count(*) FROM inserted)::integer AS created`.execute(ctx.db);
  return result.rows[0] ?? { due: 0, created: 0 };
}

/**
 * Materialises slots from working hours between two dates (inclusive), skipping clinic holidays and
 * therapist leave. Idempotent and safe to run concurrently: a slot that would overlap an existing one
 * of the same therapist is skipped by the exclusion constraint (ON CONFLICT DO NOTHING), and nothing
 * is ever deleted or moved, so booked slots stay as they are.
 */
export async function generateSlots(
  ctx: DomainContext,
  raw: GenerateSlotsInput,
  options: { onProgress?: (progress: GenerationProgress) => void } = {},
): Promise<GeneratedSlots> {
  authorize(ctx.actor, 'schedule.manage');
  const input = parseInput(generateInput, raw);
  return inTransaction(ctx, async (tx) => {
    const shape = await slotShape(tx, input);
    await lockCalendar(tx, 'generate');
    const days = (Date.parse(input.to) - Date.parse(input.from)) / 86_400_000 + 1;
    let due = 0;
    let created = 0;
    for (let offset = 0; offset < days; offset += DAYS_PER_STEP) {
      const from = addDays(input.from, offset);
      const to = addDays(input.from, Math.min(offset + DAYS_PER_STEP, days) - 1);
      const step = await generateDays(tx, from, to, input.therapistId ?? null, shape);
      due += step.due;
      created += step.created;
      options.onProgress?.({ daysDone: Math.min(offset + DAYS_PER_STEP, days), days, created });
    }
    const summary = {
      created,
      skipped: due - created,
      minutes: shape.minutes,
      bufferMinutes: shape.buffer,
      capacity: shape.capacity,
      serviceId: shape.serviceId,
    };
    await recordAudit(tx, {
      action: 'slots.generate',
      entity: 'appointment_slot',
      after: { from: input.from, to: input.to, therapistId: input.therapistId ?? null, ...summary },
    });
    return summary;
  });
}
