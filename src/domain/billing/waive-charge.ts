import { z } from 'zod';
import { recordAudit } from '../audit/record-audit.js';
import { staffUserIdOf } from '../actor.js';
import { inTransaction, type DomainContext } from '../context.js';
import { InvalidInputError, parseInput } from '../errors.js';
import { authorize } from '../policy.js';
import { lockAppointment } from '../scheduling/appointment-lifecycle.js';
import { returnPolicySession } from './packages.js';
import { appointmentBalance } from './payment-status.js';

const waiveInput = z.object({
  appointmentId: z.number().int().positive(),
  reason: z.string().trim().min(3, 'must say why, in a few words').max(500),
});

/**
 * An admin lets a patient off an appointment's charge (a session's price, or the late-cancellation or
 * no-show fee). A package session drawn for a missed session goes back to the package. Money already
 * taken must be refunded first.
 */
export async function waiveCharge(ctx: DomainContext, raw: z.input<typeof waiveInput>) {
  authorize(ctx.actor, 'payment.waive');
  const input = parseInput(waiveInput, raw);
  return inTransaction(ctx, async (tx) => {
    const appointment = await lockAppointment(tx, input.appointmentId);
    if (appointment.payment_status === 'waived') throw new InvalidInputError(`Appointment ${appointment.appointment_number} is already waived.`);
    const missed = appointment.status === 'cancelled' || appointment.status === 'no_show';
    const returned = missed ? await returnPolicySession(tx, appointment.id) : null;
    if (missed && !returned && appointment.policy_fee_paise === null) {
      throw new InvalidInputError(
        `Appointment ${appointment.appointment_number} is ${appointment.status.replace('_', '-')} with no charge; there is nothing to waive.`,
      );
    }
    const balance = await appointmentBalance(tx, appointment.id);
    if (balance.paidPaise - balance.refundedPaise > 0) {
      throw new InvalidInputError(`Appointment ${appointment.appointment_number} has payments; refund them before waiving the charge.`);
    }
    await tx.db
      .updateTable('appointments')
      .set({ payment_status: 'waived', waived_reason: input.reason, waived_by_staff_id: staffUserIdOf(tx.actor) })
      .where('id', '=', appointment.id)
      .execute();
    await recordAudit(tx, {
      action: 'payment.waive',
      entity: 'appointment',
      entityId: appointment.id,
      patientId: appointment.patient_id,
      before: { paymentStatus: appointment.payment_status, ...(returned ? { packageSessionOf: returned.packageId } : {}) },
      after: { paymentStatus: 'waived', ...(returned ? { packageSessionReturned: true } : {}) },
    });
    return { appointmentNumber: appointment.appointment_number, paymentStatus: 'waived' as const, packageSessionReturned: Boolean(returned) };
  });
}
