import { z } from 'zod';
import { recordAudit } from '../audit/record-audit.js';
import { staffUserIdOf } from '../actor.js';
import { inTransaction, outsideTransaction, type DomainContext } from '../context.js';
import { ConflictError, InvalidInputError, NotFoundError, parseInput } from '../errors.js';
import { authorize } from '../policy.js';
import { formatFriendly } from '../time.js';
import { cancelOpenLinks, decideOpenLinks, linkMadeFor, settleUnanswered, storeLink, type OpenLinkDecision } from './open-payment-links.js';
import { markPaymentCancelled } from './payment-cancellation.js';
import { outcomeUnknown, type GatewayPaymentLink, type PaymentGateway } from './payment-gateway.js';
import { amountToCollect, authorizePaymentRequest, lockPayableAppointment } from './payable-appointment.js';
import { paymentFacts } from './receipts.js';

// Online payments start here and end in the Razorpay webhook (razorpay-webhook.ts), which completes
// the pending payment made here. Our payment reference is the order's receipt and the link's
// reference_id, so every Razorpay event can be traced back to it. Razorpay is never asked inside a
// transaction: the pending payment is committed first, Razorpay's answer stored afterwards, so a
// slow Razorpay holds no lock on the appointment (the desk can take its payment meanwhile) or chat.

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

type Description = Awaited<ReturnType<typeof describeCollection>>;
type Found = { kind: 'new'; pending: PendingCollection } | Exclude<OpenLinkDecision, { kind: 'none' }>;
type Prepared = { kind: 'new'; pending: PendingCollection; description: Description } | Exclude<OpenLinkDecision, { kind: 'none' }>;

async function pendingPaymentForAppointment(tx: DomainContext, appointmentId: number, via: 'order' | 'link', amountPaise?: number): Promise<Found> {
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
  return {
    kind: 'new',
    pending: { paymentId: payment.id, reference: payment.reference, amountPaise: amount, patientId: appointment.patient_id, createdHere: true },
  };
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
    throw new ConflictError(
      `Payment ${payment.reference} is a ${payment.state} ${payment.method} payment; only a pending Razorpay payment can be collected online.`,
    );
  }
  if (payment.razorpay_order_id || payment.razorpay_payment_link_id) {
    throw new ConflictError(`Payment ${payment.reference} already has a Razorpay order or link.`);
  }
  return { paymentId: payment.id, reference: payment.reference, amountPaise: payment.amount_paise, patientId: payment.patient_id, createdHere: false };
}

/** What the patient sees on the link: the session or package, never a diagnosis. */
async function describeCollection(ctx: DomainContext, paymentId: number) {
  const facts = await paymentFacts(ctx, paymentId);
  const item =
    facts.service_name && facts.starts_at
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

/** Who may ask, for what, through which gateway; refused inside a transaction (see the top of this file). */
function startCollection(ctx: DomainContext, raw: OnlineCollectionInput) {
  outsideTransaction(ctx, 'Collecting a payment through Razorpay');
  authorizePaymentRequest(ctx);
  const input = parseInput(collectionInput, raw);
  // Collecting a payment the desk already recorded is the desk's business; a patient pays for an appointment.
  if (input.paymentId && ctx.actor.kind !== 'staff' && ctx.actor.kind !== 'system') authorize(ctx.actor, 'payment.record');
  return { input, gateway: requireGateway(ctx) };
}

/** One short transaction: the appointment locked while its open links are decided, and a new pending payment committed. */
async function preparePendingPayment(ctx: DomainContext, input: z.output<typeof collectionInput>, via: 'order' | 'link'): Promise<Prepared> {
  return inTransaction(ctx, async (tx) => {
    const found: Found = input.paymentId
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
}

/** Razorpay did not make what was asked: a payment made for this request is cancelled. */
async function cancelRequest(ctx: DomainContext, pending: PendingCollection, via: 'order' | 'link', error: unknown): Promise<void> {
  if (!pending.createdHere) return;
  const reason = `Razorpay did not create the ${via}: ${error instanceof Error ? error.message : String(error)}`.slice(0, 300);
  await markPaymentCancelled(ctx, pending.paymentId, reason);
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
  const { input, gateway } = startCollection(ctx, raw);
  // Settling an unanswered request, then replacing a link for another amount, then making the new one.
  for (let round = 0; round < 4; round++) {
    const prepared = await preparePendingPayment(ctx, input, 'link');
    if (prepared.kind === 'settle') await settleUnanswered(ctx, gateway, prepared.requests);
    else if (prepared.kind === 'replace') await cancelOpenLinks(ctx, gateway, prepared.links);
    else if (prepared.kind === 'reuse') {
      const { paymentId, reference, amountPaise, paymentLinkId, shortUrl } = prepared.link;
      return { paymentId, reference, amountPaise, paymentLinkId, shortUrl, reused: true };
    } else return askForLink(ctx, gateway, prepared);
  }
  throw new ConflictError('The payment links of this appointment changed while a new one was being made; try again.');
}

/**
 * Asks Razorpay for the link and stores it. When the answer is lost (a timeout, a dropped
 * connection), Razorpay may have made the link anyway: it is looked up at once; if Razorpay cannot
 * even be asked, the request stays for the next one to settle (open-payment-links.ts).
 */
async function askForLink(ctx: DomainContext, gateway: PaymentGateway, { pending, description }: Extract<Prepared, { kind: 'new' }>) {
  let link: GatewayPaymentLink;
  try {
    link = await gateway.createPaymentLink({
      amountPaise: pending.amountPaise,
      referenceId: pending.reference,
      description: description.item,
      customer: description.customer,
      notes: { reference: pending.reference },
    });
  } catch (error) {
    const found = outcomeUnknown(error) ? await linkMadeFor(gateway, pending).catch(() => undefined) : null;
    if (found === undefined) throw error;
    if (!found) {
      await cancelRequest(ctx, pending, 'link', error);
      throw error;
    }
    link = found;
  }
  await storeLink(ctx, gateway, pending, link);
  const { paymentId, reference, amountPaise } = pending;
  return { paymentId, reference, amountPaise, paymentLinkId: link.paymentLinkId, shortUrl: link.shortUrl, reused: false };
}

/**
 * A Razorpay order for Checkout (the key secret stays on the server; the browser gets the order id).
 * An order whose answer was lost is cancelled on our side: nobody holds its id, so nobody can pay it.
 */
export async function createOrder(ctx: DomainContext, raw: OnlineCollectionInput): Promise<OnlineCollection & { orderId: string }> {
  const { input, gateway } = startCollection(ctx, raw);
  const prepared = await preparePendingPayment(ctx, input, 'order');
  if (prepared.kind !== 'new') throw new Error('an order never reuses a payment link');
  const { pending } = prepared;
  let order;
  try {
    order = await gateway.createOrder({ amountPaise: pending.amountPaise, receipt: pending.reference, notes: { reference: pending.reference } });
  } catch (error) {
    await cancelRequest(ctx, pending, 'order', error);
    throw error;
  }
  await ctx.db.updateTable('payments').set({ razorpay_order_id: order.orderId }).where('id', '=', pending.paymentId).execute();
  const { paymentId, reference, amountPaise } = pending;
  return { paymentId, reference, amountPaise, orderId: order.orderId };
}
