import type { DomainContext } from '../context.js';
import { InvalidInputError, NotFoundError } from '../errors.js';
import { formatRupees } from '../money.js';
import { authorizeStaffOrOwner } from '../policy.js';
import { requireInCare } from '../people/in-care.js';
import { appointmentBalance } from './payment-status.js';

/**
 * Who may ask for a payment (a UPI request, a Razorpay link): staff who take payments, and a patient
 * or guardian for their own (or their child's) appointment, checked when it is locked.
 */
export function authorizePaymentRequest(ctx: DomainContext): void {
  authorizeStaffOrOwner(ctx.actor, 'payment.record');
}

/**
 * Locks an appointment that is about to take money, however it is paid (desk, UPI, Razorpay):
 * a cancelled (without a late-cancellation fee) or waived appointment takes none.
 */
export async function lockPayableAppointment(ctx: DomainContext, appointmentId: number) {
  const appointment = await ctx.db
    .selectFrom('appointments as a')
    .innerJoin('services as s', 's.id', 'a.service_id')
    .select(['a.id', 'a.patient_id', 'a.status', 'a.appointment_number', 'a.payment_status', 'a.policy_fee_paise', 's.name as service_name'])
    .where('a.id', '=', appointmentId)
    .forUpdate('a')
    .executeTakeFirst();
  if (!appointment) throw new NotFoundError(`No appointment with id ${appointmentId}.`);
  // Someone else's patient is "no such appointment" (ids typed into a chat reveal nothing); any
  // other failure (the database's) is not dressed up as one.
  await requireInCare(ctx, appointment.patient_id).catch((error: unknown) => {
    throw error instanceof NotFoundError ? new NotFoundError(`No appointment with id ${appointmentId}.`) : error;
  });
  if (appointment.status === 'cancelled' && appointment.policy_fee_paise === null) {
    throw new InvalidInputError(`Appointment ${appointment.appointment_number} is cancelled; it takes no payment.`);
  }
  if (appointment.payment_status === 'waived') {
    throw new InvalidInputError(`Appointment ${appointment.appointment_number} was waived; it takes no payment.`);
  }
  return appointment;
}

/** What to collect now: what is due unless an amount is asked for, and never more than is due. */
export async function amountToCollect(ctx: DomainContext, appointment: { id: number; appointment_number: string }, asked?: number) {
  const { duePaise } = await appointmentBalance(ctx, appointment.id);
  if (asked === undefined) {
    if (duePaise === 0) throw new InvalidInputError(`Appointment ${appointment.appointment_number} has nothing due.`);
    return duePaise;
  }
  if (asked > duePaise) {
    throw new InvalidInputError(`Appointment ${appointment.appointment_number} has ${formatRupees(duePaise)} due; ${formatRupees(asked)} is more than that.`);
  }
  return asked;
}
