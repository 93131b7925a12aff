import { enqueueForPatient } from '../notifications/appointment-messages.js';
import { recordAudit } from '../audit/record-audit.js';
import type { DomainContext } from '../context.js';
import { refreshPaymentStatus } from './payment-status.js';
import { issueReceipt } from './receipts.js';
import type { PaymentStatus } from '../../infra/db/schema.js';

export interface CompletedPayment {
  paymentId: number;
  receiptNumber: string;
  /** The appointment's payment status after this payment (null for a package payment). */
  paymentStatus: PaymentStatus | null;
}

/**
 * What every way of being paid ends with, inside the caller's transaction: the payment is
 * completed (if it was not already), its appointment's payment status rolls up, a package
 * paid for becomes active, and the receipt is issued. Safe to call twice for one payment.
 */
export async function completePayment(
  ctx: DomainContext,
  paymentId: number,
  details: { utr?: string; razorpayPaymentId?: string; paidAt?: Date } = {},
): Promise<CompletedPayment> {
  const payment = await ctx.db
    .updateTable('payments')
    .set({
      state: 'completed',
      paid_at: details.paidAt ?? ctx.clock.now(),
      ...(details.utr ? { utr: details.utr } : {}),
      ...(details.razorpayPaymentId ? { razorpay_payment_id: details.razorpayPaymentId } : {}),
    })
    .where('id', '=', paymentId)
    .where('state', '<>', 'completed')
    .returning(['id', 'appointment_id', 'package_id', 'patient_id', 'method', 'amount_paise'])
    .executeTakeFirst();
  const current =
    payment ??
    (await ctx.db
      .selectFrom('payments')
      .select(['id', 'appointment_id', 'package_id', 'patient_id', 'method', 'amount_paise'])
      .where('id', '=', paymentId)
      .executeTakeFirstOrThrow());
  const paymentStatus = current.appointment_id ? await refreshPaymentStatus(ctx, current.appointment_id) : null;
  if (current.package_id) {
    await ctx.db
      .updateTable('patient_packages')
      .set({ status: 'active' })
      .where('id', '=', current.package_id)
      .where('status', '=', 'pending_payment')
      .execute();
  }
  const receipt = await issueReceipt(ctx, current.id);
  if (payment) {
    await enqueueForPatient(ctx, {
      patientId: current.patient_id,
      kind: 'payment_received',
      key: `payment_received:payment:${current.id}`,
      appointmentId: current.appointment_id,
      payload: { amountPaise: current.amount_paise, receiptNumber: receipt.receipt_number },
    });
    await recordAudit(ctx, {
      action: 'payment.complete',
      entity: 'payment',
      entityId: current.id,
      patientId: current.patient_id,
      after: { method: current.method, amountPaise: current.amount_paise, paymentStatus, receipt: receipt.receipt_number },
    });
  }
  return { paymentId: current.id, receiptNumber: receipt.receipt_number, paymentStatus };
}
