import { z } from 'zod';
import { recordAudit } from '../audit/record-audit.js';
import { staffUserIdOf } from '../actor.js';
import { requireClinicSettings } from '../clinic/settings.js';
import { inTransaction, type DomainContext } from '../context.js';
import { ConflictError, InvalidInputError, NotFoundError, parseInput } from '../errors.js';
import { authorize } from '../policy.js';
import { completePayment, type CompletedPayment } from './complete-payment.js';
import { translateUtrConflict, upiTransactionId } from './utr.js';
import { amountToCollect, authorizePaymentRequest, lockPayableAppointment } from './payable-appointment.js';
import { buildUpiLink, clinicUpiPayee } from './upi-link.js';
import { paymentReference } from './payment-reference.js';

// A UPI payment to the clinic's own UPI id (a static QR): the request is a pending payment whose
// reference travels in the link as `tr`; it completes when staff confirm it with the UTR.

const startInput = z.object({
  appointmentId: z.number().int().positive(),
  amountPaise: z.number().int('must be whole paise').positive('must be more than zero').optional(),
});

const confirmInput = z.object({
  reference: paymentReference,
  utr: upiTransactionId,
});

export type StartUpiPaymentInput = z.input<typeof startInput>;
export type ConfirmUpiPaymentInput = z.input<typeof confirmInput>;

export interface UpiPaymentRequest {
  paymentId: number;
  /** PAY-…: the link's `tr`, and what staff confirm. */
  reference: string;
  appointmentNumber: string;
  amountPaise: number;
  link: string;
  payee: { vpa: string; payeeName: string };
  /** An earlier request of the same amount, still unpaid, was handed out again. */
  reused: boolean;
}

export interface ConfirmedUpiPayment extends CompletedPayment {
  reference: string;
  amountPaise: number;
  utr: string;
}

/**
 * A UPI payment request for an appointment (what is due unless an amount is given): a pending
 * payment and its `upi://pay` link. Asking again for the same amount hands out the same request.
 */
export async function startUpiPayment(ctx: DomainContext, raw: StartUpiPaymentInput): Promise<UpiPaymentRequest> {
  authorizePaymentRequest(ctx);
  const input = parseInput(startInput, raw);
  return inTransaction(ctx, async (tx) => {
    const payee = clinicUpiPayee(await requireClinicSettings(tx));
    const appointment = await lockPayableAppointment(tx, input.appointmentId);
    const amountPaise = await amountToCollect(tx, appointment, input.amountPaise);
    const pending = await tx.db
      .selectFrom('payments')
      .select(['id', 'reference'])
      .where('appointment_id', '=', appointment.id)
      .where('method', '=', 'upi')
      .where('state', '=', 'pending')
      .where('amount_paise', '=', amountPaise)
      .orderBy('id')
      .executeTakeFirst();
    const payment =
      pending ??
      (await tx.db
        .insertInto('payments')
        .values({
          patient_id: appointment.patient_id,
          appointment_id: appointment.id,
          amount_paise: amountPaise,
          method: 'upi',
          state: 'pending',
          processed_by_staff_id: staffUserIdOf(tx.actor),
        })
        .returning(['id', 'reference'])
        .executeTakeFirstOrThrow());
    if (!pending) {
      await recordAudit(tx, {
        action: 'payment.upi_request',
        entity: 'payment',
        entityId: payment.id,
        patientId: appointment.patient_id,
        after: { method: 'upi', state: 'pending', amountPaise, appointmentId: appointment.id },
      });
    }
    const link = buildUpiLink({
      ...payee,
      amountPaise,
      note: `${appointment.appointment_number} ${appointment.service_name}`,
      reference: payment.reference,
    });
    return {
      paymentId: payment.id,
      reference: payment.reference,
      appointmentNumber: appointment.appointment_number,
      amountPaise,
      link,
      payee,
      reused: Boolean(pending),
    };
  });
}

/**
 * Staff saw the money arrive: the pending UPI payment gets its UTR and completes (status roll-up,
 * receipt). A UTR is used once: when two confirmations race, the unique constraint picks one.
 */
export async function confirmUpiPayment(ctx: DomainContext, raw: ConfirmUpiPaymentInput): Promise<ConfirmedUpiPayment> {
  authorize(ctx.actor, 'payment.record');
  const input = parseInput(confirmInput, raw);
  return inTransaction(ctx, async (tx) => {
    const found = await tx.db.selectFrom('payments').select(['id', 'appointment_id']).where('reference', '=', input.reference).executeTakeFirst();
    if (!found) throw new NotFoundError(`No payment ${input.reference}.`);
    // Appointment before payment, the order in which taking a payment locks them.
    if (found.appointment_id) {
      await tx.db.selectFrom('appointments').select('id').where('id', '=', found.appointment_id).forUpdate().execute();
    }
    const payment = await tx.db
      .selectFrom('payments')
      .select(['id', 'method', 'state', 'amount_paise', 'utr'])
      .where('id', '=', found.id)
      .forUpdate()
      .executeTakeFirstOrThrow();
    if (payment.method !== 'upi') {
      throw new InvalidInputError(`${input.reference} is a ${payment.method.replace('_', ' ')} payment, not a UPI request.`);
    }
    if (payment.state === 'completed') {
      throw new ConflictError(`${input.reference} was already confirmed${payment.utr ? ` with UTR ${payment.utr}` : ''}; nothing was changed.`);
    }
    if (payment.state !== 'pending') throw new ConflictError(`${input.reference} is ${payment.state}; it cannot be confirmed.`);
    // The appointment is not checked again: the UTR proves the money arrived, and received money
    // is recorded even if the visit was cancelled or paid otherwise since (a refund settles that).
    await tx.db
      .updateTable('payments')
      .set({ utr: input.utr, processed_by_staff_id: staffUserIdOf(tx.actor) })
      .where('id', '=', payment.id)
      .execute()
      .catch((error) => translateUtrConflict(error, input.utr));
    const completed = await completePayment(tx, payment.id);
    return { ...completed, reference: input.reference, amountPaise: payment.amount_paise, utr: input.utr };
  });
}

/** The patient paid to the clinic's UPI id and read out the UTR: request and confirmation in one go. */
export async function recordUpiPayment(ctx: DomainContext, raw: StartUpiPaymentInput & { utr: string }): Promise<ConfirmedUpiPayment> {
  authorize(ctx.actor, 'payment.record');
  const { utr } = parseInput(z.object({ utr: upiTransactionId }), { utr: raw.utr });
  return inTransaction(ctx, async (tx) => {
    const request = await startUpiPayment(tx, raw);
    return confirmUpiPayment(tx, { reference: request.reference, utr });
  });
}

export { upiTransactionId } from './utr.js';
