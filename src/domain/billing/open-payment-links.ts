import { sql } from 'kysely';
import type { DomainContext } from '../context.js';
import { ConflictError } from '../errors.js';
import { cancelLinkAtRazorpay, markPaymentCancelled } from './payment-cancellation.js';
import type { PaymentGateway } from './payment-gateway.js';

// One open Razorpay payment link per appointment. Two open links could both be paid: asking again
// for the same amount hands out the link already sent; a different amount cancels the old link at
// Razorpay before a new one is made, and if a payment beat the cancel, no new link is made.

export interface OpenLink {
  paymentId: number;
  reference: string;
  amountPaise: number;
  paymentLinkId: string;
  shortUrl: string | null;
}

export type OpenLinkDecision = { kind: 'none' } | { kind: 'reuse'; link: OpenLink & { shortUrl: string } } | { kind: 'replace'; links: OpenLink[] };

/** How long a pending link payment may wait for Razorpay's answer before it counts as abandoned. */
const IN_FLIGHT = '2 minutes';

/**
 * What to do about the appointment's open links, given the amount now wanted. Called with the
 * appointment locked, so two requests for one appointment decide one after the other.
 */
export async function decideOpenLinks(tx: DomainContext, appointmentId: number, amountPaise: number): Promise<OpenLinkDecision> {
  const pending = await tx.db
    .selectFrom('payments')
    .select(['id', 'reference', 'amount_paise', 'razorpay_payment_link_id', 'razorpay_short_url'])
    .select(sql<boolean>`created_at > now() - ${IN_FLIGHT}::interval`.as('recent'))
    .where('appointment_id', '=', appointmentId)
    .where('method', '=', 'razorpay')
    .where('state', '=', 'pending')
    .where('razorpay_order_id', 'is', null)
    .orderBy('id', 'desc')
    .execute();
  if (pending.some((p) => !p.razorpay_payment_link_id && p.recent)) {
    throw new ConflictError('A payment link for this appointment is being made right now; try again in a moment.');
  }
  const links: OpenLink[] = pending
    .filter((p) => p.razorpay_payment_link_id)
    .map((p) => ({ paymentId: p.id, reference: p.reference, amountPaise: p.amount_paise, paymentLinkId: p.razorpay_payment_link_id!, shortUrl: p.razorpay_short_url }));
  const same = links.find((l) => l.amountPaise === amountPaise && l.shortUrl);
  if (same && links.length === 1) return { kind: 'reuse', link: { ...same, shortUrl: same.shortUrl! } };
  return links.length ? { kind: 'replace', links } : { kind: 'none' };
}

/** Cancels each link at Razorpay, then our pending payment for it; a link already paid stops everything. */
export async function cancelOpenLinks(ctx: DomainContext, gateway: PaymentGateway, links: OpenLink[]): Promise<void> {
  for (const link of links) {
    const status = await cancelLinkAtRazorpay(gateway, link);
    const reason = status === 'expired' ? 'the link expired' : 'the link was replaced by a new one for a different amount';
    await markPaymentCancelled(ctx, link.paymentId, reason, { paymentLinkId: link.paymentLinkId, razorpayLinkStatus: status });
  }
}
