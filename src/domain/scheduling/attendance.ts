import { z } from 'zod';
import { inTransaction, type DomainContext } from '../context.js';
import { InvalidInputError, parseInput } from '../errors.js';
import { authorize } from '../policy.js';
import { clinicDate, formatFriendly } from '../time.js';
import { drawFromPackage } from '../billing/packages.js';
import { refreshPaymentStatus } from '../billing/payment-status.js';
import { chargeMissedSession } from '../billing/missed-session-policy.js';
import { applyTransition, assertNotMoved, assertTransition, authorizeAppointmentChange, lockAppointment } from './appointment-lifecycle.js';

const appointmentRef = z.object({ appointmentId: z.number().int().positive() });
type AppointmentRef = z.input<typeof appointmentRef>;

const confirmInput = appointmentRef.extend({
  /** Where the confirmation came from: the desk (cli) or the patient's chat. */
  via: z.enum(['cli', 'telegram', 'whatsapp', 'terminal_chat']).default('cli'),
  /** The time the patient was reminded of: if the appointment has moved since, it is not confirmed. */
  expectedStartsAt: z.coerce.date().optional(),
});

/** The patient (or guardian) has said they will come. Saying it twice changes nothing. */
export async function confirmAppointment(ctx: DomainContext, raw: z.input<typeof confirmInput>) {
  authorizeAppointmentChange(ctx);
  const { appointmentId, via, expectedStartsAt } = parseInput(confirmInput, raw);
  return inTransaction(ctx, async (tx) => {
    const appointment = await lockAppointment(tx, appointmentId);
    assertNotMoved(appointment, expectedStartsAt, 'confirmed');
    if (appointment.status === 'confirmed') return appointment;
    return applyTransition(tx, appointment, 'confirmed', { confirmed_at: tx.clock.now(), confirmed_via: via });
  });
}

/** The patient has arrived: on the appointment's own clinic day only. */
export async function checkInAppointment(ctx: DomainContext, raw: AppointmentRef) {
  authorize(ctx.actor, 'appointment.attend');
  const { appointmentId } = parseInput(appointmentRef, raw);
  return inTransaction(ctx, async (tx) => {
    const appointment = await lockAppointment(tx, appointmentId);
    assertTransition(appointment, 'in_progress');
    const now = tx.clock.now();
    if (clinicDate(appointment.starts_at, tx.timezone) !== clinicDate(now, tx.timezone)) {
      throw new InvalidInputError(
        `Appointment ${appointment.appointment_number} is on ${formatFriendly(appointment.starts_at, tx.timezone)}; check-in is on the day.`,
      );
    }
    return applyTransition(tx, appointment, 'in_progress', { checked_in_at: now });
  });
}

/** The session took place. A session never checked in may be completed once its time has begun. */
export async function completeAppointment(ctx: DomainContext, raw: AppointmentRef) {
  authorize(ctx.actor, 'appointment.attend');
  const { appointmentId } = parseInput(appointmentRef, raw);
  return inTransaction(ctx, async (tx) => {
    const appointment = await lockAppointment(tx, appointmentId);
    assertTransition(appointment, 'completed');
    const now = tx.clock.now();
    if (appointment.status !== 'in_progress' && appointment.starts_at > now) {
      throw new InvalidInputError(`Appointment ${appointment.appointment_number} has not started yet.`);
    }
    const completed = await applyTransition(tx, appointment, 'completed', { completed_at: now });
    const draw = await drawFromPackage(tx, appointment);
    if (draw) await refreshPaymentStatus(tx, appointment.id);
    return draw ? { ...completed, payment_status: 'paid' as const, packageDraw: draw } : completed;
  });
}

/** The patient did not come: only once the appointment's time has begun. The clinic's no-show charge applies. */
export async function markNoShow(ctx: DomainContext, raw: AppointmentRef) {
  authorize(ctx.actor, 'appointment.attend');
  const { appointmentId } = parseInput(appointmentRef, raw);
  return inTransaction(ctx, async (tx) => {
    const appointment = await lockAppointment(tx, appointmentId);
    assertTransition(appointment, 'no_show');
    const now = tx.clock.now();
    if (appointment.starts_at > now) {
      throw new InvalidInputError(`Appointment ${appointment.appointment_number} has not started yet; it cannot be a no-show.`);
    }
    const missed = await applyTransition(tx, appointment, 'no_show', { no_show_at: now });
    return { ...missed, policyCharge: await chargeMissedSession(tx, appointment, 'no_show') };
  });
}
