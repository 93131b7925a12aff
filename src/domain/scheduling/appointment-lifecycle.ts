import { recordAudit } from '../audit/record-audit.js';
import type { DomainContext } from '../context.js';
import { ConflictError, InvalidInputError, NotFoundError } from '../errors.js';
import { authorizeStaffOrOwner } from '../policy.js';
import type { AppointmentStatus } from '../../infra/db/schema.js';

// scheduled → confirmed → in_progress → completed; scheduled/confirmed → cancelled | no_show.
const ALLOWED: Record<AppointmentStatus, readonly AppointmentStatus[]> = {
  scheduled: ['confirmed', 'in_progress', 'completed', 'cancelled', 'no_show'],
  confirmed: ['in_progress', 'completed', 'cancelled', 'no_show'],
  in_progress: ['completed'],
  completed: [],
  cancelled: [],
  no_show: [],
};

export const LIVE_STATUSES: readonly AppointmentStatus[] = ['scheduled', 'confirmed', 'in_progress'];

const VERBS: Record<AppointmentStatus, string> = {
  scheduled: 'schedule',
  confirmed: 'confirm',
  in_progress: 'check in',
  completed: 'complete',
  cancelled: 'cancel',
  no_show: 'mark as no-show',
};

/**
 * Locks an appointment for a change. A patient or guardian may only touch their own (or their
 * children's): anyone else's is "not found", so ids typed into a chat reveal nothing.
 */
export async function lockAppointment(ctx: DomainContext, appointmentId: number) {
  const appointment = await ctx.db
    .selectFrom('appointments')
    .selectAll()
    .where('id', '=', appointmentId)
    .where((eb) => {
      const { actor } = ctx;
      if (actor.kind === 'patient') return eb('patient_id', '=', actor.patientId);
      if (actor.kind === 'guardian') {
        return eb.exists(
          eb
            .selectFrom('patient_guardians as pg')
            .select('pg.patient_id')
            .whereRef('pg.patient_id', '=', 'appointments.patient_id')
            .where('pg.guardian_id', '=', actor.guardianId),
        );
      }
      return eb.val(true);
    })
    .forUpdate()
    .executeTakeFirst();
  if (!appointment) throw new NotFoundError(`No appointment with id ${appointmentId}.`);
  return appointment;
}

/** Staff need the permission; patients and guardians act on their own appointments (checked by lockAppointment). */
export function authorizeAppointmentChange(ctx: DomainContext): void {
  authorizeStaffOrOwner(ctx.actor, 'appointment.change');
}

export type LockedAppointment = Awaited<ReturnType<typeof lockAppointment>>;

/** Two instants the same to the second (a time as a message carried it has no milliseconds). */
export const sameSecond = (a: Date, b: Date) => Math.floor(a.getTime() / 1000) === Math.floor(b.getTime() / 1000);

/**
 * The person acting saw the appointment at `expectedStartsAt` (in a reminder, or a question asked a
 * moment ago): if it has moved since, nothing is done to it.
 */
export function assertNotMoved(appointment: LockedAppointment, expectedStartsAt: Date | undefined, verb: string): void {
  if (expectedStartsAt && !sameSecond(appointment.starts_at, expectedStartsAt)) {
    throw new ConflictError(`Appointment ${appointment.appointment_number} has moved since; it was not ${verb}.`, { reason: 'appointment_moved' });
  }
}

export function assertTransition(appointment: LockedAppointment, to: AppointmentStatus): void {
  if (!ALLOWED[appointment.status].includes(to)) {
    throw new InvalidInputError(`Cannot ${VERBS[to]} appointment ${appointment.appointment_number}: it is ${appointment.status.replace('_', ' ')}.`, {
      from: appointment.status,
      to,
    });
  }
}

/** Moves a locked appointment to a new status, with the audit's before/after. */
export async function applyTransition(
  ctx: DomainContext,
  appointment: LockedAppointment,
  to: AppointmentStatus,
  changes: Partial<{
    confirmed_at: Date;
    confirmed_via: 'cli' | 'telegram' | 'whatsapp' | 'terminal_chat';
    checked_in_at: Date;
    completed_at: Date;
    no_show_at: Date;
    cancelled_at: Date;
    cancelled_by: 'staff' | 'patient' | 'system';
    cancelled_by_staff_id: number | null;
    cancellation_reason: string;
    late_cancellation: boolean;
  }> = {},
) {
  assertTransition(appointment, to);
  const updated = await ctx.db
    .updateTable('appointments')
    .set({ status: to, ...changes })
    .where('id', '=', appointment.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordAudit(ctx, {
    action: `appointment.${to}`,
    entity: 'appointment',
    entityId: appointment.id,
    patientId: appointment.patient_id,
    before: { status: appointment.status },
    after: { status: to, ...(changes.late_cancellation ? { lateCancellation: true } : {}) },
  });
  return updated;
}
