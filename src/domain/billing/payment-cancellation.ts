import { recordAudit } from '../audit/record-audit.js';
import { inTransaction, type DomainContext } from '../context.js';
import { ConflictError } from '../errors.js';
import type { GatewayLinkStatus, PaymentGateway } from './payment-gateway.js';

// Withdrawing a payment request nobody has paid: a Razorpay link is cancelled at Razorpay first
// (a paid link cannot be, and then nothing is withdrawn), then our pending payment.

/** Cancels the link at Razorpay; refuses when a payment came in first (the webhook completes it). */
export async function cancelLinkAtRazorpay(gateway: PaymentGateway, link: { paymentLinkId: string; reference: string }): Promise<GatewayLinkStatus> {
  const status = await gateway.cancelPaymentLink(link.paymentLinkId);
  if (status === 'paid' || status === 'partially_paid') {
    throw new ConflictError(`The payment link sent earlier (${link.reference}) has just been paid; it shows here once Razorpay confirms it.`);
  }
  return status;
}

/** Marks a still-pending payment cancelled, with why, in the audit log too. False if it was no longer pending. */
export async function markPaymentCancelled(ctx: DomainContext, paymentId: number, reason: string, details: Record<string, unknown> = {}): Promise<boolean> {
  return inTransaction(ctx, async (tx) => {
    const cancelled = await tx.db
      .updateTable('payments')
      .set({ state: 'cancelled', failure_reason: reason })
      .where('id', '=', paymentId)
      .where('state', '=', 'pending')
      .returning(['patient_id'])
      .executeTakeFirst();
    if (!cancelled) return false;
    await recordAudit(tx, {
      action: 'payment.cancel',
      entity: 'payment',
      entityId: paymentId,
      patientId: cancelled.patient_id,
      before: { state: 'pending' },
      after: { state: 'cancelled', reason, ...details },
    });
    return true;
  });
}
