import { sql } from 'kysely';
import type { DomainContext } from '../context.js';
import { NotFoundError } from '../errors.js';
import { appointmentDue } from '../billing/payment-status.js';
import { patientIdsInCare } from '../people/in-care.js';
import { rescheduleReason } from './needs-reschedule.js';

// What a patient or guardian sees of their own appointments (and their children's) in a chat.

export interface OwnAppointment {
  id: number;
  appointmentNumber: string;
  patientId: number;
  patientName: string;
  serviceName: string;
  serviceNameHi: string | null;
  therapistName: string;
  startsAt: Date;
  status: string;
  duePaise: number;
  /** A day off (the therapist's leave, a clinic holiday) fell on it: the clinic's doing, to reschedule. */
  needsReschedule: boolean;
}

async function ownAppointments(ctx: DomainContext, filter: { upcoming?: boolean; withDues?: boolean; number?: string; id?: number }) {
  const inCare = await patientIdsInCare(ctx);
  if (!inCare.length) return [];
  const rows = await ctx.db
    .selectFrom('appointments as a')
    .innerJoin('patients as p', 'p.id', 'a.patient_id')
    .innerJoin('services as s', 's.id', 'a.service_id')
    .innerJoin('therapists as t', 't.id', 'a.therapist_id')
    .select([
      'a.id',
      'a.appointment_number',
      'a.patient_id',
      'p.full_name as patient_name',
      's.name as service_name',
      's.name_hi as service_name_hi',
      't.full_name as therapist_name',
      'a.starts_at',
      'a.status',
      sql<number>`${appointmentDue}`.as('due_paise'),
      rescheduleReason(ctx.timezone, { therapistId: sql.ref('a.therapist_id'), startsAt: sql.ref('a.starts_at'), status: sql.ref('a.status') }).as(
        'needs_reschedule',
      ),
    ])
    .where('a.patient_id', 'in', inCare)
    .$if(Boolean(filter.upcoming), (qb) => qb.where('a.status', 'in', ['scheduled', 'confirmed']).where('a.starts_at', '>', ctx.clock.now()))
    .$if(Boolean(filter.withDues), (qb) => qb.where('a.status', 'not in', ['cancelled']).where('a.payment_status', '<>', 'waived'))
    .$if(filter.id !== undefined, (qb) => qb.where('a.id', '=', filter.id!))
    .$if(filter.number !== undefined, (qb) => qb.where('a.appointment_number', '=', filter.number!))
    .orderBy('a.starts_at')
    .limit(50)
    .execute();
  return rows
    .map((r) => ({
      id: r.id,
      appointmentNumber: r.appointment_number,
      patientId: r.patient_id,
      patientName: r.patient_name,
      serviceName: r.service_name,
      serviceNameHi: r.service_name_hi,
      therapistName: r.therapist_name,
      startsAt: r.starts_at,
      status: r.status,
      duePaise: Number(r.due_paise),
      needsReschedule: r.needs_reschedule !== null,
    }))
    .filter((r) => !filter.withDues || r.duePaise > 0);
}

/** Upcoming appointments (scheduled or confirmed) of the acting patient or guardian's children, soonest first. */
export function upcomingOwnAppointments(ctx: DomainContext): Promise<OwnAppointment[]> {
  return ownAppointments(ctx, { upcoming: true });
}

/** Appointments with something left to pay. */
export function ownAppointmentsWithDues(ctx: DomainContext): Promise<OwnAppointment[]> {
  return ownAppointments(ctx, { withDues: true });
}

/** One's own appointment by its number or id; anyone else's is "not found". */
export async function ownAppointment(ctx: DomainContext, ref: string | number): Promise<OwnAppointment> {
  const text = String(ref).trim().toUpperCase();
  const rows = /^\d+$/.test(text)
    ? (await ownAppointments(ctx, {})).filter((a) => Number(a.appointmentNumber.replace(/\D/g, '')) === Number(text))
    : await ownAppointments(ctx, { number: text });
  if (!rows[0]) throw new NotFoundError(`No appointment ${text}.`);
  return rows[0];
}

/** One's own appointment by id (an option's value); anyone else's is "not found". */
export async function ownAppointmentById(ctx: DomainContext, id: number): Promise<OwnAppointment> {
  const [row] = await ownAppointments(ctx, { id });
  if (!row) throw new NotFoundError(`No appointment with id ${id}.`);
  return row;
}
