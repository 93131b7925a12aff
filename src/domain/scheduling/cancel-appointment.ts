import { sql } from 'kysely';
import { z } from 'zod';
import { recordedStaff, staffUserIdOf } from '../actor.js';
import { requireClinicSettings } from '../clinic/settings.js';
import { inTransaction, type DomainContext } from '../context.js';
import { InvalidInputError, parseInput } from '../errors.js';
import { chargeMissedSession, type PolicyCharge } from '../billing/missed-session-policy.js';
import { applyTransition, assertNotMoved, authorizeAppointmentChange, lockAppointment } from './appointment-lifecycle.js';
import { noticeAppointmentCancelled } from '../notifications/appointment-messages.js';
import { offerFreedSlot, type WaitlistOffer } from './waitlist-offers.js';
import { rescheduleReason } from './needs-reschedule.js';
import { cancellationTerms } from './cancellation-terms.js';

const cancelInput = z.object({
  appointmentId: z.number().int().positive(),
  reason: z.string().trim().min(3, 'must say why, in a few words').max(500).optional(),
  /** The clinic cancelled (therapist ill, clinic closed): no late-cancellation charge. */
  clinicInitiated: z.boolean().optional(),
  /** The time the person cancelling saw: if the appointment has moved since, nothing is cancelled. */
  expectedStartsAt: z.coerce.date().optional(),
});

export interface CancelledAppointment {
  appointmentNumber: string;
  lateCancellation: boolean;
  /** The late-cancellation charge the clinic's policy applied: a package session or a fee. */
  policyCharge: PolicyCharge | null;
  /** The freed time, offered to the first fitting waitlist entry, if any. */
  waitlistOffer: WaitlistOffer | null;
}

/**
 * Cancels a future appointment and frees its place. Inside the clinic's late-cancellation window
 * (default 24 h) the cancellation is flagged late and the clinic's policy charge applies (unless the
 * clinic itself cancelled). An appointment a day off fell on (needs-reschedule.ts) is never late:
 * the family is cancelling what the clinic could not keep.
 */
export async function cancelAppointment(ctx: DomainContext, raw: z.input<typeof cancelInput>): Promise<CancelledAppointment> {
  authorizeAppointmentChange(ctx);
  const input = parseInput(cancelInput, raw);
  const byStaff = ctx.actor.kind === 'staff' || ctx.actor.kind === 'system';
  if (byStaff && !input.reason) throw new InvalidInputError('reason: is required when staff cancel an appointment.');
  return inTransaction(ctx, async (tx) => {
    const appointment = await lockAppointment(tx, input.appointmentId);
    assertNotMoved(appointment, input.expectedStartsAt, 'cancelled');
    const now = tx.clock.now();
    if (appointment.starts_at <= now && appointment.status !== 'cancelled') {
      throw new InvalidInputError(`Appointment ${appointment.appointment_number} has already begun; mark it as completed or no-show instead.`);
    }
    const settings = await requireClinicSettings(tx);
    // A day off fell on it (leave or a holiday forced over the booking): cancelling is the clinic's doing, never late.
    const dayOff = await tx.db
      .selectFrom('appointments as a')
      .select(
        rescheduleReason(tx.timezone, { therapistId: sql.ref('a.therapist_id'), startsAt: sql.ref('a.starts_at'), status: sql.ref('a.status') }).as('reason'),
      )
      .where('a.id', '=', appointment.id)
      .executeTakeFirstOrThrow();
    const { late } = cancellationTerms(settings, { startsAt: appointment.starts_at, dayOff: dayOff.reason !== null }, now);
    await applyTransition(tx, appointment, 'cancelled', {
      cancelled_at: now,
      cancelled_by: recordedStaff(ctx.actor) ? 'staff' : ctx.actor.kind === 'system' ? 'system' : 'patient',
      cancelled_by_staff_id: staffUserIdOf(tx.actor),
      cancellation_reason: input.reason ?? 'Cancelled by the patient',
      late_cancellation: late,
    });
    const policyCharge = late && !input.clinicInitiated ? await chargeMissedSession(tx, appointment, 'late_cancellation') : null;
    await noticeAppointmentCancelled(tx, appointment.id);
    const waitlistOffer = appointment.slot_id ? await offerFreedSlot(tx, appointment.slot_id) : null;
    return { appointmentNumber: appointment.appointment_number, lateCancellation: late, policyCharge, waitlistOffer };
  });
}
