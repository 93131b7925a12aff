import { z } from 'zod';
import type { DomainContext } from '../context.js';
import { parseInput } from '../errors.js';
import { authorize } from '../policy.js';
import { addDays, isoDate, zonedInstant } from '../time.js';

const scheduleInput = z.object({
  date: isoDate,
  therapistId: z.number().int().positive().optional(),
});

/** A clinic day's appointments (in the clinic's time zone), cancelled ones included so the desk sees them. */
export async function daySchedule(ctx: DomainContext, raw: z.input<typeof scheduleInput>) {
  authorize(ctx.actor, 'schedule.read');
  const input = parseInput(scheduleInput, raw);
  const dayStart = zonedInstant(input.date, '00:00', ctx.timezone);
  const dayEnd = zonedInstant(addDays(input.date, 1), '00:00', ctx.timezone);
  return ctx.db
    .selectFrom('appointments as a')
    .innerJoin('patients as p', 'p.id', 'a.patient_id')
    .innerJoin('therapists as t', 't.id', 'a.therapist_id')
    .innerJoin('services as s', 's.id', 'a.service_id')
    .select([
      'a.id',
      'a.appointment_number',
      'a.starts_at',
      'a.ends_at',
      'a.status',
      'a.payment_status',
      'a.price_paise',
      'a.confirmed_at',
      'p.id as patient_id',
      'p.full_name as patient_name',
      't.id as therapist_id',
      't.full_name as therapist_name',
      's.name as service_name',
    ])
    .where('a.starts_at', '>=', dayStart)
    .where('a.starts_at', '<', dayEnd)
    .$if(input.therapistId !== undefined, (qb) => qb.where('a.therapist_id', '=', input.therapistId!))
    .orderBy('t.full_name')
    .orderBy('a.starts_at')
    .execute();
}
