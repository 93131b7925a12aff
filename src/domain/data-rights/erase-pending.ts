import { outsideTransaction, type DomainContext } from '../context.js';
import { InvalidInputError } from '../errors.js';
import { cancelLinkAtRazorpay, markPaymentCancelled } from '../billing/payment-cancellation.js';
import { offerFreedSlot } from '../scheduling/waitlist-offers.js';

// What an erased patient leaves pending is withdrawn with them, in the erasure's transaction: a
// message not sent yet (a reminder, a waitlist offer to a kept guardian), a waitlist entry and its
// open offer (the place goes to the next in line), a payment request nobody has paid. A Razorpay link
// is cancelled at Razorpay first, before the transaction: once the person is gone, no one can pay it.

export const ERASURE_REASON = 'patient erased';

/** Cancels the patient's open Razorpay links at Razorpay (refusing, as `pay cancel` does, when one was just paid). */
export async function cancelOpenLinksAtRazorpay(ctx: DomainContext, patientId: number): Promise<number> {
  const links = await ctx.db
    .selectFrom('payments')
    .select(['reference', 'razorpay_payment_link_id'])
    .where('patient_id', '=', patientId)
    .where('state', '=', 'pending')
    .where('razorpay_payment_link_id', 'is not', null)
    .execute();
  if (!links.length) return 0;
  if (!ctx.paymentGateway) {
    throw new InvalidInputError(
      `The patient has an open Razorpay payment link (${links.map((l) => l.reference).join(', ')}): set RAZORPAY_KEY_ID and RAZORPAY_KEY_SECRET so it can be cancelled at Razorpay before the erasure.`,
    );
  }
  outsideTransaction(ctx, 'Cancelling a Razorpay link');
  for (const link of links) await cancelLinkAtRazorpay(ctx.paymentGateway, { paymentLinkId: link.razorpay_payment_link_id!, reference: link.reference });
  return links.length;
}

export interface WithdrawnForErasure {
  messages: number;
  waitlistEntries: number;
  offers: number;
  paymentRequests: number;
}

/** Inside the erasure's transaction: withdraws everything still pending about the patient or an erased guardian. */
export async function withdrawPending(tx: DomainContext, patientId: number, erasedGuardianIds: number[]): Promise<WithdrawnForErasure> {
  const { db } = tx;
  const now = tx.clock.now();
  const messages = await db
    .updateTable('notifications')
    .set({ state: 'cancelled', last_error: ERASURE_REASON })
    .where('state', '=', 'pending')
    .where((eb) =>
      eb.or([
        eb('about_patient_id', '=', patientId),
        eb('patient_id', '=', patientId),
        ...(erasedGuardianIds.length ? [eb('guardian_id', 'in', erasedGuardianIds)] : []),
      ]),
    )
    .executeTakeFirst();

  const offers = await db
    .updateTable('waitlist_offers')
    .set({ status: 'withdrawn', responded_at: now })
    .where('status', '=', 'pending')
    .where('entry_id', 'in', db.selectFrom('waitlist_entries').select('id').where('patient_id', '=', patientId))
    .returning('slot_id')
    .execute();
  const entries = await db
    .updateTable('waitlist_entries')
    .set({ status: 'removed' })
    .where('patient_id', '=', patientId)
    .where('status', 'in', ['waiting', 'offered'])
    .executeTakeFirst();
  for (const slotId of new Set(offers.map((o) => o.slot_id))) await offerFreedSlot(tx, slotId);

  const requests = await db.selectFrom('payments').select('id').where('patient_id', '=', patientId).where('state', '=', 'pending').execute();
  for (const request of requests) await markPaymentCancelled(tx, request.id, ERASURE_REASON);

  return {
    messages: Number(messages.numUpdatedRows),
    waitlistEntries: Number(entries.numUpdatedRows),
    offers: offers.length,
    paymentRequests: requests.length,
  };
}
