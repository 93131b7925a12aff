import { sql } from 'kysely';
import { z } from 'zod';
import type { DomainContext } from '../context.js';
import { NotFoundError, parseInput } from '../errors.js';
import { authorize, authorizeStaffOrOwner } from '../policy.js';
import { addDays, isoDate, zonedInstant } from '../time.js';
import { appointmentDue } from '../billing/payment-status.js';
import { rescheduleFlag } from './needs-reschedule.js';

const appointmentStatus = z.enum(['scheduled', 'confirmed', 'in_progress', 'completed', 'cancelled', 'no_show']);

const listInput = z.object({
  from: isoDate.optional(),
  to: isoDate.optional(),
  therapistId: z.number().int().positive().optional(),
  patientId: z.number().int().positive().optional(),
  status: appointmentStatus.optional(),
  paymentStatus: z.enum(['pending', 'partially_paid', 'paid', 'refunded', 'waived']).optional(),
  limit: z.number().int().min(1).max(5000).default(200),
});

/**
 * Appointments with the names the desk reads: patient, therapist, service; and `needs_reschedule`
 * (`{ reason }` or null) for a live one whose day became a day off (needs-reschedule.ts).
 */
export function appointmentsWithNames(ctx: DomainContext) {
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
      'a.confirmed_via',
      'a.late_cancellation',
      'a.series_id',
      'p.id as patient_id',
      'p.patient_number',
      'p.full_name as patient_name',
      't.id as therapist_id',
      't.full_name as therapist_name',
      's.name as service_name',
      appointmentDue.as('due_paise'),
      rescheduleFlag(ctx.timezone, { therapistId: sql.ref('a.therapist_id'), startsAt: sql.ref('a.starts_at'), status: sql.ref('a.status') }).as(
        'needs_reschedule',
      ),
    ]);
}

export type ListAppointmentsInput = z.input<typeof listInput>;

export type AppointmentRow = Awaited<ReturnType<ReturnType<typeof appointmentsWithNames>['execute']>>[number];

/** Appointments filtered by dates (clinic days, inclusive), therapist, patient and status. */
export async function listAppointments(ctx: DomainContext, raw: z.input<typeof listInput>): Promise<AppointmentRow[]> {
  authorize(ctx.actor, 'schedule.read');
  const input = parseInput(listInput, raw);
  return appointmentsWithNames(ctx)
    .$if(input.from !== undefined, (qb) => qb.where('a.starts_at', '>=', zonedInstant(input.from!, '00:00', ctx.timezone)))
    .$if(input.to !== undefined, (qb) => qb.where('a.starts_at', '<', zonedInstant(addDays(input.to!, 1), '00:00', ctx.timezone)))
    .$if(input.therapistId !== undefined, (qb) => qb.where('a.therapist_id', '=', input.therapistId!))
    .$if(input.patientId !== undefined, (qb) => qb.where('a.patient_id', '=', input.patientId!))
    .$if(input.status !== undefined, (qb) => qb.where('a.status', '=', input.status!))
    .$if(input.paymentStatus !== undefined, (qb) => qb.where('a.payment_status', '=', input.paymentStatus!))
    .orderBy('a.starts_at')
    .orderBy('t.full_name')
    .limit(input.limit)
    .execute();
}

export async function getAppointment(ctx: DomainContext, appointmentId: number): Promise<AppointmentRow> {
  authorize(ctx.actor, 'schedule.read');
  const row = await appointmentsWithNames(ctx).where('a.id', '=', appointmentId).executeTakeFirst();
  if (!row) throw new NotFoundError(`No appointment with id ${appointmentId}.`);
  return row;
}

/** The service an appointment is for (a reschedule keeps it); a family's ownership is checked by the caller. */
export async function serviceOfAppointment(ctx: DomainContext, appointmentId: number): Promise<number> {
  authorizeStaffOrOwner(ctx.actor, 'schedule.read');
  const row = await ctx.db.selectFrom('appointments').select('service_id').where('id', '=', appointmentId).executeTakeFirst();
  if (!row) throw new NotFoundError(`No appointment with id ${appointmentId}.`);
  return row.service_id;
}
