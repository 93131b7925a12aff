import { z } from 'zod';
import { outsideTransaction, type DomainContext } from '../context.js';
import { ConflictError, InvalidInputError, NotFoundError, parseInput } from '../errors.js';
import { authorize } from '../policy.js';
import { cancelLinkAtRazorpay, markPaymentCancelled } from './payment-cancellation.js';
import { paymentReference } from './payment-reference.js';

// `roshni pay cancel`: the desk withdraws a payment request nobody has paid (a UPI QR the patient
// will not use, a Razorpay link sent for the wrong amount), so reconcile stops listing it.

const cancelInput = z.object({
  reference: paymentReference,
  reason: z.string().trim().min(3, 'say in a few words why').max(300),
});

export type CancelPaymentRequestInput = z.input<typeof cancelInput>;

export interface CancelledPaymentRequest {
  reference: string;
  method: string;
  amountPaise: number;
  /** The Razorpay link was cancelled too, so it can no longer be paid. */
  linkCancelled: boolean;
}

export async function cancelPaymentRequest(ctx: DomainContext, raw: CancelPaymentRequestInput): Promise<CancelledPaymentRequest> {
  authorize(ctx.actor, 'payment.record');
  const { reference, reason } = parseInput(cancelInput, raw);
  const payment = await ctx.db
    .selectFrom('payments')
    .select(['id', 'reference', 'state', 'method', 'amount_paise', 'razorpay_payment_link_id'])
    .where('reference', '=', reference)
    .executeTakeFirst();
  if (!payment) throw new NotFoundError(`No payment ${reference}.`);
  const refusal = (state: string) =>
    new ConflictError(
      `Payment ${reference} is ${state}; only a pending request can be cancelled` +
        (state === 'completed' ? ` (money received is refunded: roshni refund ${reference} …).` : '.'),
    );
  if (payment.state !== 'pending') throw refusal(payment.state);
  const linkId = payment.razorpay_payment_link_id;
  if (linkId) {
    if (!ctx.paymentGateway) {
      throw new InvalidInputError(`Payment ${reference} is a Razorpay link: set RAZORPAY_KEY_ID and RAZORPAY_KEY_SECRET so it can be cancelled at Razorpay.`);
    }
    outsideTransaction(ctx, 'Cancelling a Razorpay link');
    await cancelLinkAtRazorpay(ctx.paymentGateway, { paymentLinkId: linkId, reference });
  }
  const cancelled = await markPaymentCancelled(ctx, payment.id, reason, linkId ? { paymentLinkId: linkId } : {});
  if (!cancelled) {
    const now = await ctx.db.selectFrom('payments').select('state').where('id', '=', payment.id).executeTakeFirstOrThrow();
    throw refusal(now.state);
  }
  return { reference, method: payment.method, amountPaise: payment.amount_paise, linkCancelled: Boolean(linkId) };
}
