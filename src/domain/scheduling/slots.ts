import { sql } from 'kysely';
import { z } from 'zod';
import { recordAudit } from '../audit/record-audit.js';
import { inTransaction, type DomainContext } from '../context.js';
import { InvalidInputError, NotFoundError, parseInput } from '../errors.js';
import { authorize } from '../policy.js';
import { requireClinicSettings } from '../clinic/settings.js';
import { addDays, isoDate } from '../time.js';

const generateInput = z
  .object({
    from: isoDate,
    to: isoDate,
    therapistId: z.number().int().positive().optional(),
    /** Slots for one service (group sessions take its duration and capacity). */
    serviceCode: z.string().optional(),
    minutes: z.number().int().min(5).max(480).optional(),
    bufferMinutes: z.number().int().min(0).max(240).optional(),
  })
  .refine((i) => i.to >= i.from, { message: 'must not be before from', path: ['to'] })
  .refine((i) => addDays(i.from, 366) > i.to, { message: 'may cover at most a year', path: ['to'] });

export type GenerateSlotsInput = z.input<typeof generateInput>;

/**
 * Materialises slots from working hours between two dates (inclusive), skipping clinic holidays and
 * therapist leave. Idempotent and safe to run concurrently: a slot that would overlap an existing one
 * of the same therapist is skipped by the exclusion constraint (ON CONFLICT DO NOTHING), and nothing
 * is ever deleted.
 */
export async function generateSlots(ctx: DomainContext, raw: GenerateSlotsInput) {
  authorize(ctx.actor, 'schedule.manage');
  const input = parseInput(generateInput, raw);
  return inTransaction(ctx, async (tx) => {
    const settings = await requireClinicSettings(tx);
    let serviceId: number | null = null;
    let capacity = 1;
    let minutes = input.minutes ?? settings.slot_minutes;
    if (input.serviceCode) {
      const service = await tx.db.selectFrom('services').selectAll().where('code', '=', input.serviceCode).executeTakeFirst();
      if (!service) throw new NotFoundError(`No service with code ${input.serviceCode}.`);
      serviceId = service.id;
      capacity = service.max_participants;
      minutes = input.minutes ?? service.duration_minutes;
    }
    const buffer = input.bufferMinutes ?? settings.slot_buffer_minutes;
    if (input.therapistId !== undefined) {
      const found = await tx.db.selectFrom('therapists').select('id').where('id', '=', input.therapistId).executeTakeFirst();
      if (!found) throw new NotFoundError(`No therapist with id ${input.therapistId}.`);
    }
    if (minutes < 5) throw new InvalidInputError('Slots must be at least 5 minutes long.');

    const result = await sql<{ created: number }>`
      WITH inserted AS (
        INSERT INTO appointment_slots (therapist_id, service_id, starts_at, ends_at, max_bookings)
        SELECT wh.therapist_id, ${serviceId}::integer, s.starts_at,
               s.starts_at + make_interval(mins => ${minutes}::integer), ${capacity}::integer
        FROM generate_series(${input.from}::date, ${input.to}::date, interval '1 day') AS d(day)
        JOIN working_hours wh ON wh.weekday = extract(isodow FROM d.day)
        JOIN therapists t ON t.id = wh.therapist_id AND t.active
        CROSS JOIN LATERAL generate_series(
          (d.day::date + wh.start_time) AT TIME ZONE ${tx.timezone},
          ((d.day::date + wh.end_time) AT TIME ZONE ${tx.timezone}) - make_interval(mins => ${minutes}::integer),
          make_interval(mins => ${minutes + buffer}::integer)
        ) AS s(starts_at)
        WHERE (${input.therapistId ?? null}::integer IS NULL OR wh.therapist_id = ${input.therapistId ?? null}::integer)
          AND NOT EXISTS (SELECT 1 FROM clinic_holidays h WHERE h.holiday_on = d.day::date)
          AND NOT EXISTS (
            SELECT 1 FROM therapist_leave l
            WHERE l.therapist_id = wh.therapist_id AND d.day::date BETWEEN l.starts_on AND l.ends_on)
        ORDER BY wh.therapist_id, s.starts_at
        ON CONFLICT DO NOTHING
        RETURNING 1
      )
      SELECT count(*)::integer AS created FROM inserted`.execute(tx.db);
    const created = result.rows[0]?.created ?? 0;
    await recordAudit(tx, {
      action: 'slots.generate',
      entity: 'appointment_slot',
      after: { from: input.from, to: input.to, therapistId: input.therapistId ?? null, minutes, buffer, created },
    });
    return { created, minutes, bufferMinutes: buffer };
  });
}
