import { z } from 'zod';
import { recordAudit } from '../audit/record-audit.js';
import { staffUserIdOf } from '../actor.js';
import { inTransaction, type DomainContext } from '../context.js';
import { ConflictError, InvalidInputError, NotFoundError, parseInput } from '../errors.js';
import { authorize } from '../policy.js';
import { formatFriendly } from '../time.js';
import { cancelOpenLinks, decideOpenLinks, type OpenLink } from './open-payment-links.js';
import { markPaymentCancelled } from './payment-cancellation.js';
import type { PaymentGateway } from './payment-gateway.js';
import { amountToCollect, authorizePaymentRequest, lockPayableAppointment } from './payable-appointment.js';
import { paymentFacts } from './receipts.js';

// Online payments start here and end in the Razorpay webhook (razorpay-webhook.ts), which completes
// the pending payment made here. Our payment reference is the order's receipt and the link's
// reference_id, so every Razorpay event can be traced back to it.

const collectionInput = z
  .object({
    /** Collect what an appointment owes: a new pending payment, for `amountPaise` or all that is due. */
    appointmentId: z.number().int().positive().optional(),
    amountPaise: z.number().int().positive('must be more than zero').optional(),
    /** Or collect an existing pending Razorpay payment (a package sold, for instance). */
    paymentId: z.number().int().positive().optional(),
  })
  .refine((i) => (i.appointmentId === undefined) !== (i.paymentId === undefined), 'give either an appointment or a pending payment')
  .refine((i) => i.paymentId === undefined || i.amountPaise === undefined, {
    message: 'is the pending payment’s own amount; leave it out',
    path: ['amountPaise'],
  });

export type OnlineCollectionInput = z.input<typeof collectionInput>;

interface PendingCollection {
  paymentId: number;
  reference: string;
  amountPaise: number;
  patientId: number;
  /** True when this call made the pending payment (so a refusal from Razorpay cancels it). */
  createdHere: boolean;
}

type Prepared = { kind: 'new'; pending: PendingCollection } | { kind: 'reuse'; link: OpenLink & { shortUrl: string } } | { kind: 'replace'; links: OpenLink[] };

async function pendingPaymentForAppointment(tx: DomainContext, appointmentId: number, via: 'order' | 'link', amountPaise?: number): Promise<Prepared> {
  const appointment = await lockPayableAppointment(tx, appointmentId);
  const amount = await amountToCollect(tx, appointment, amountPaise);
  if (via === 'link') {
    const open = await decideOpenLinks(tx, appointment.id, amount);
    if (open.kind !== 'none') return open;
  }
  const payment = await tx.db
    .insertInto('payments')
    .values({
      patient_id: appointment.patient_id,
      appointment_id: appointment.id,
      amount_paise: amount,
      method: 'razorpay',
      state: 'pending',
      processed_by_staff_id: staffUserIdOf(tx.actor),
    })
    .returning(['id', 'reference'])
    .executeTakeFirstOrThrow();
  return { kind: 'new', pending: { paymentId: payment.id, reference: payment.reference, amountPaise: amount, patientId: appointment.patient_id, createdHere: true } };
}

async function existingPendingPayment(tx: DomainContext, paymentId: number): Promise<PendingCollection> {
  const payment = await tx.db
    .selectFrom('payments')
    .select(['id', 'reference', 'amount_paise', 'patient_id', 'method', 'state', 'razorpay_order_id', 'razorpay_payment_link_id'])
    .where('id', '=', paymentId)
    .forUpdate()
    .executeTakeFirst();
  if (!payment) throw new NotFoundError(`No payment with id ${paymentId}.`);
  if (payment.method !== 'razorpay' || payment.state !== 'pending') {
    throw new ConflictError(`Payment ${payment.reference} is a ${payment.state} ${payment.method} payment; only a pending Razorpay payment can be collected online.`);
  }
  if (payment.razorpay_order_id || payment.razorpay_payment_link_id) {
    throw new ConflictError(`Payment ${payment.reference} already has a Razorpay order or link.`);
  }
  return { paymentId: payment.id, reference: payment.reference, amountPaise: payment.amount_paise, patientId: payment.patient_id, createdHere: false };
}

/** What the patient sees on the link: the session or package, never a diagnosis. */
async function describeCollection(ctx: DomainContext, paymentId: number) {
  const facts = await paymentFacts(ctx, paymentId);
  const item = facts.service_name && facts.starts_at
    ? `${facts.service_name}, ${formatFriendly(facts.starts_at, ctx.timezone)} (${facts.appointment_number})`
    : `Package: ${facts.plan_name ?? 'sessions'}`;
  const customer = {
    name: facts.full_name,
    ...(facts.phone ? { contact: facts.phone } : {}),
    ...(facts.email ? { email: facts.email } : {}),
  };
  return { item, customer };
}

function requireGateway(ctx: DomainContext): PaymentGateway {
  if (!ctx.paymentGateway) throw new InvalidInputError('Razorpay is not configured: set RAZORPAY_KEY_ID and RAZORPAY_KEY_SECRET.');
  return ctx.paymentGateway;
}

/**
 * The pending payment is committed before Razorpay is asked, so no transaction waits on the network;
 * Razorpay's answer is stored afterwards (see askRazorpay).
 */
async function preparePendingPayment(ctx: DomainContext, raw: OnlineCollectionInput, via: 'order' | 'link') {
  authorizePaymentRequest(ctx);
  const input = parseInput(collectionInput, raw);
  // Collecting a payment the desk already recorded is the desk's business; a patient pays for an appointment.
  if (input.paymentId && ctx.actor.kind !== 'staff' && ctx.actor.kind !== 'system') authorize(ctx.actor, 'payment.record');
  const gateway = requireGateway(ctx);
  const prepared = await inTransaction(ctx, async (tx) => {
    const found: Prepared = input.paymentId
      ? { kind: 'new', pending: await existingPendingPayment(tx, input.paymentId) }
      : await pendingPaymentForAppointment(tx, input.appointmentId!, via, input.amountPaise);
    if (found.kind !== 'new') return found;
    const { pending } = found;
    await recordAudit(tx, {
      action: 'payment.request',
      entity: 'payment',
      entityId: pending.paymentId,
      patientId: pending.patientId,
      after: { method: 'razorpay', via, amountPaise: pending.amountPaise, reference: pending.reference },
    });
    return { ...found, description: await describeCollection(tx, pending.paymentId) };
  });
  return { gateway, prepared };
}

/** Razorpay's answer, or its refusal: then a payment made for this request is cancelled, and the error goes on. */
async function askRazorpay<T>(ctx: DomainContext, pending: PendingCollection, via: 'order' | 'link', ask: () => Promise<T>): Promise<T> {
  try {
    return await ask();
  } catch (error) {
    if (pending.createdHere) {
      const reason = `Razorpay did not create the ${via}: ${error instanceof Error ? error.message : String(error)}`.slice(0, 300);
      await markPaymentCancelled(ctx, pending.paymentId, reason);
    }
    throw error;
  }
}

export interface OnlineCollection {
  paymentId: number;
  reference: string;
  amountPaise: number;
}

/**
 * A Razorpay payment link (UPI, cards, netbanking) the clinic sends to the patient in a message.
 * An appointment has at most one open link: asking again for the same amount gives the same link
 * (`reused`); for another amount, the old link is cancelled first.
 */
export async function createPaymentLink(
  ctx: DomainContext,
  raw: OnlineCollectionInput,
): Promise<OnlineCollection & { paymentLinkId: string; shortUrl: string; reused: boolean }> {
  let { gateway, prepared } = await preparePendingPayment(ctx, raw, 'link');
  if (prepared.kind === 'replace') {
    await cancelOpenLinks(ctx, gateway, prepared.links);
    ({ prepared } = await preparePendingPayment(ctx, raw, 'link'));
    if (prepared.kind === 'replace') throw new ConflictError('The payment links of this appointment changed while a new one was being made; try again.');
  }
  if (prepared.kind === 'reuse') {
    const { paymentId, reference, amountPaise, paymentLinkId, shortUrl } = prepared.link;
    return { paymentId, reference, amountPaise, paymentLinkId, shortUrl, reused: true };
  }
  const { pending, description } = prepared;
  const link = await askRazorpay(ctx, pending, 'link', () =>
    gateway.createPaymentLink({
      amountPaise: pending.amountPaise,
      referenceId: pending.reference,
      description: description.item,
      customer: description.customer,
      notes: { reference: pending.reference },
    }),
  );
  await ctx.db
    .updateTable('payments')
    .set({ razorpay_payment_link_id: link.paymentLinkId, razorpay_short_url: link.shortUrl })
    .where('id', '=', pending.paymentId)
    .execute();
  const { paymentId, reference, amountPaise } = pending;
  return { paymentId, reference, amountPaise, paymentLinkId: link.paymentLinkId, shortUrl: link.shortUrl, reused: false };
}

/** A Razorpay order for Checkout (the key secret stays on the server; the browser gets the order id). */
export async function createOrder(ctx: DomainContext, raw: OnlineCollectionInput): Promise<OnlineCollection & { orderId: string }> {
  const { gateway, prepared } = await preparePendingPayment(ctx, raw, 'order');
  if (prepared.kind !== 'new') throw new Error('an order never reuses a payment link');
  const { pending } = prepared;
  const order = await askRazorpay(ctx, pending, 'order', () =>
    gateway.createOrder({ amountPaise: pending.amountPaise, receipt: pending.reference, notes: { reference: pending.reference } }),
  );
  await ctx.db.updateTable('payments').set({ razorpay_order_id: order.orderId }).where('id', '=', pending.paymentId).execute();
  const { paymentId, reference, amountPaise } = pending;
  return { paymentId, reference, amountPaise, orderId: order.orderId };
}
