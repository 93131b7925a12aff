import { sql } from 'kysely';
import type { DomainContext } from '../context.js';
import { ConflictError } from '../errors.js';
import { cancelLinkAtRazorpay, markPaymentCancelled } from './payment-cancellation.js';
import type { GatewayLinkStatus, GatewayPaymentLink, PaymentGateway } from './payment-gateway.js';

// One open Razorpay payment link per appointment. Two open links could both be paid: asking again
// for the same amount hands out the link already sent; a different amount cancels the old link at
// Razorpay before a new one is made, and if a payment beat the cancel, no new link is made.
//
// A link is asked for in three steps, so that no row lock waits on Razorpay: the request (a pending
// payment without a link) is committed, Razorpay is asked, and its link is stored on the request.
// A request whose answer never came (a timeout, a process stopped in between) is settled by asking
// Razorpay for the link with the request's reference: kept if Razorpay made one, else cancelled.

export interface OpenLink {
  paymentId: number;
  reference: string;
  amountPaise: number;
  paymentLinkId: string;
  shortUrl: string | null;
}

/** A link request still without Razorpay's answer. */
export interface UnansweredRequest {
  paymentId: number;
  reference: string;
}

export type OpenLinkDecision =
  | { kind: 'none' }
  | { kind: 'reuse'; link: OpenLink & { shortUrl: string } }
  | { kind: 'replace'; links: OpenLink[] }
  | { kind: 'settle'; requests: UnansweredRequest[] };

/** How long a link request may wait for Razorpay's answer (the gateway gives up well before). */
const IN_FLIGHT = '1 minute';

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
  const unanswered = pending.filter((p) => !p.razorpay_payment_link_id);
  if (unanswered.some((p) => p.recent)) {
    throw new ConflictError('A payment link for this appointment is being made right now; try again in a moment.');
  }
  if (unanswered.length) return { kind: 'settle', requests: unanswered.map((p) => ({ paymentId: p.id, reference: p.reference })) };
  const links: OpenLink[] = pending.map((p) => ({
    paymentId: p.id,
    reference: p.reference,
    amountPaise: p.amount_paise,
    paymentLinkId: p.razorpay_payment_link_id!,
    shortUrl: p.razorpay_short_url,
  }));
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

const STILL_COUNTS: ReadonlySet<GatewayLinkStatus> = new Set(['created', 'partially_paid', 'paid']);

/** The link Razorpay made for a request, if it made one that can still be paid (or was). */
export async function linkMadeFor(gateway: PaymentGateway, request: UnansweredRequest): Promise<GatewayPaymentLink | null> {
  const found = await gateway.findPaymentLink(request.reference);
  return found && STILL_COUNTS.has(found.status) ? found : null;
}

/** Settles requests whose answer never came: each keeps the link Razorpay made for it, or is cancelled. */
export async function settleUnanswered(ctx: DomainContext, gateway: PaymentGateway, requests: UnansweredRequest[]): Promise<void> {
  for (const request of requests) {
    const link = await linkMadeFor(gateway, request);
    if (link) await storeLink(ctx, gateway, request, link);
    else await markPaymentCancelled(ctx, request.paymentId, 'Razorpay made no link for this request (its answer never came)');
  }
}

/**
 * Stores Razorpay's link on the request it was made for. A request withdrawn meanwhile (`roshni pay
 * cancel`) keeps no link: the link is cancelled at Razorpay too, so it cannot be paid.
 */
export async function storeLink(ctx: DomainContext, gateway: PaymentGateway, request: UnansweredRequest, link: GatewayPaymentLink): Promise<void> {
  const stored = await ctx.db
    .updateTable('payments')
    .set({ razorpay_payment_link_id: link.paymentLinkId, razorpay_short_url: link.shortUrl })
    .where('id', '=', request.paymentId)
    .where('state', '=', 'pending')
    .where('razorpay_payment_link_id', 'is', null)
    .executeTakeFirst();
  if (Number(stored.numUpdatedRows) > 0) return;
  await gateway.cancelPaymentLink(link.paymentLinkId).catch(() => undefined);
  throw new ConflictError(`Payment ${request.reference} was withdrawn while its link was being made; ask again for a new one.`);
}
