import { z } from 'zod';
import { recordAudit } from '../audit/record-audit.js';
import type { DomainContext } from '../context.js';
import { formatRupees } from '../money.js';
import { completePayment } from './complete-payment.js';
import { settleRefund } from './refund-payment.js';

// What each Razorpay event does to our books. Razorpay does not promise order, so every rule here is
// forward-only and each "paid" event is enough on its own: payment.captured, order.paid and
// payment_link.paid all carry the payment entity (its id and amount), so whichever arrives first
// completes our pending payment and the others find it completed and change nothing. Nothing is
// deferred: our pending payment (and a refund's row, whose reference is the Razorpay refund's
// receipt) is committed before Razorpay hears of it, so an event can never precede what it refers
// to. An event that matches nothing of ours (made on the Dashboard, say) is kept as "unmatched".
// One consequence: the capture of a payment-link payment names only Razorpay's own order behind the
// link, so it is unmatched until payment_link.paid (which the webhook must be subscribed to) arrives.

export interface EventOutcome {
  /** applied: our books changed; no_change: already so; attention: a person should look. */
  status: 'applied' | 'no_change' | 'unmatched' | 'attention' | 'ignored';
  detail: string;
}

// Razorpay sends empty notes as [] and filled ones as an object.
const notes = z.union([z.record(z.string(), z.unknown()), z.array(z.unknown())]).nullish();
const entity = <T extends z.ZodType>(schema: T) => z.object({ entity: schema });

const paymentEntity = z.object({
  id: z.string().min(1),
  amount: z.number().int(),
  currency: z.string(),
  order_id: z.string().nullish(),
  notes,
  error_description: z.string().nullish(),
  error_reason: z.string().nullish(),
});
type PaymentEntity = z.infer<typeof paymentEntity>;

const refundEntity = z.object({
  id: z.string().min(1),
  payment_id: z.string().min(1),
  amount: z.number().int(),
  currency: z.string(),
  receipt: z.string().nullish(),
  notes,
});

/** The clinic charges and refunds in rupees only: anything else is for a person to look at, never paid. */
export const CLINIC_CURRENCY = 'INR';
type RefundEntity = z.infer<typeof refundEntity>;

function noteText(value: z.infer<typeof notes>, key: string): string | undefined {
  const text = value && !Array.isArray(value) ? value[key] : undefined;
  return typeof text === 'string' && text ? text : undefined;
}

interface PaymentKeys {
  razorpayPaymentId: string;
  orderId?: string | null | undefined;
  paymentLinkId?: string | null | undefined;
  reference?: string | null | undefined;
}

/** Our Razorpay payment an event speaks of, locked: the one it already completed, else by order, link or reference. */
async function lockOurPayment(tx: DomainContext, keys: PaymentKeys) {
  const base = tx.db
    .selectFrom('payments')
    .select(['id', 'reference', 'state', 'amount_paise', 'patient_id', 'razorpay_order_id', 'razorpay_payment_id'])
    .where('method', '=', 'razorpay')
    .orderBy('id')
    .forUpdate();
  const byPaymentId = await base.where('razorpay_payment_id', '=', keys.razorpayPaymentId).executeTakeFirst();
  if (byPaymentId) return byPaymentId;
  return base
    .where((eb) =>
      eb.or([
        ...(keys.orderId ? [eb('razorpay_order_id', '=', keys.orderId)] : []),
        ...(keys.paymentLinkId ? [eb('razorpay_payment_link_id', '=', keys.paymentLinkId)] : []),
        ...(keys.reference ? [eb('reference', '=', keys.reference)] : []),
      ]),
    )
    .executeTakeFirst();
}

async function paymentReceived(tx: DomainContext, payment: PaymentEntity, keys: Omit<PaymentKeys, 'razorpayPaymentId'>, paidAt: Date): Promise<EventOutcome> {
  const ours = await lockOurPayment(tx, { razorpayPaymentId: payment.id, ...keys });
  if (!ours) return { status: 'unmatched', detail: `no Razorpay payment of ours for ${payment.id}` };
  if (payment.currency !== CLINIC_CURRENCY) {
    return {
      status: 'attention',
      detail: `${payment.id} paid ${payment.amount} in ${payment.currency.slice(0, 10)}, not ${CLINIC_CURRENCY}, for ${ours.reference}: not marked paid`,
    };
  }
  if (ours.state === 'completed') {
    if (ours.razorpay_payment_id && ours.razorpay_payment_id !== payment.id) {
      return { status: 'attention', detail: `${ours.reference} was already paid by ${ours.razorpay_payment_id}; ${payment.id} is a second payment to refund` };
    }
    return { status: 'no_change', detail: `${ours.reference} is already completed` };
  }
  if (payment.amount !== ours.amount_paise) {
    return {
      status: 'attention',
      detail: `${payment.id} paid ${formatRupees(payment.amount)} for ${ours.reference} of ${formatRupees(ours.amount_paise)}: not marked paid`,
    };
  }
  // A payment link's order is made by Razorpay; remembering it lets later events find the payment by order.
  if (keys.orderId && !ours.razorpay_order_id) {
    await tx.db.updateTable('payments').set({ razorpay_order_id: keys.orderId }).where('id', '=', ours.id).execute();
  }
  const completed = await completePayment(tx, ours.id, { razorpayPaymentId: payment.id, paidAt });
  return { status: 'applied', detail: `${ours.reference} completed, receipt ${completed.receiptNumber}` };
}

/** The audit entry of an event that moved one of ours (a payment or a refund) from its state to another. */
async function auditStateMove(
  tx: DomainContext,
  action: string,
  entity: 'payment' | 'refund',
  ours: { id: number; patient_id: number; state: string },
  after: { state: string } & Record<string, unknown>,
) {
  await recordAudit(tx, { action, entity, entityId: ours.id, patientId: ours.patient_id, before: { state: ours.state }, after });
}

/** A failed attempt marks a pending payment failed; a later attempt on the same order may still complete it. */
async function paymentFailed(tx: DomainContext, payment: PaymentEntity): Promise<EventOutcome> {
  const ours = await lockOurPayment(tx, { razorpayPaymentId: payment.id, orderId: payment.order_id, reference: noteText(payment.notes, 'reference') });
  if (!ours) return { status: 'unmatched', detail: `no Razorpay payment of ours for ${payment.id}` };
  if (ours.state === 'completed') return { status: 'no_change', detail: `${ours.reference} is completed; a failed attempt changes nothing` };
  const reason = (payment.error_description ?? payment.error_reason ?? 'the payment failed').slice(0, 300);
  await tx.db.updateTable('payments').set({ state: 'failed', failure_reason: reason }).where('id', '=', ours.id).execute();
  await auditStateMove(tx, 'payment.fail', 'payment', ours, { state: 'failed', razorpayPaymentId: payment.id });
  return { status: 'applied', detail: `${ours.reference} marked failed` };
}

/** Razorpay paid a refund back: our refund is processed, the appointment's status rolls back, the credit note is issued. */
async function refundProcessed(tx: DomainContext, refund: RefundEntity, processedAt: Date): Promise<EventOutcome> {
  const ourReference = refund.receipt ?? noteText(refund.notes, 'refund');
  const ours = await tx.db
    .selectFrom('refunds as r')
    .innerJoin('payments as p', 'p.id', 'r.payment_id')
    .select(['r.id', 'r.reference', 'r.state', 'r.amount_paise', 'p.appointment_id', 'p.patient_id'])
    .where((eb) =>
      eb.or([
        eb('r.razorpay_refund_id', '=', refund.id),
        ...(ourReference ? [eb.and([eb('r.reference', '=', ourReference), eb('p.razorpay_payment_id', '=', refund.payment_id)])] : []),
      ]),
    )
    .forUpdate()
    .executeTakeFirst();
  if (!ours) return { status: 'unmatched', detail: `no refund of ours for ${refund.id}` };
  if (ours.state === 'processed') return { status: 'no_change', detail: `${ours.reference} is already processed` };
  if (ours.state === 'failed' || refund.amount !== ours.amount_paise || refund.currency !== CLINIC_CURRENCY) {
    return {
      status: 'attention',
      detail: `Razorpay processed ${refund.id} (${refund.amount} paise in ${refund.currency.slice(0, 10)}) but ${ours.reference} is ${ours.state}, ${formatRupees(ours.amount_paise)}`,
    };
  }
  await tx.db
    .updateTable('refunds')
    .set((eb) => ({ state: 'processed', processed_at: processedAt, razorpay_refund_id: eb.fn.coalesce('razorpay_refund_id', eb.val(refund.id)) }))
    .where('id', '=', ours.id)
    .execute();
  const creditNote = await settleRefund(tx, ours.id, ours.appointment_id);
  await auditStateMove(tx, 'refund.processed', 'refund', ours, { state: 'processed', razorpayRefundId: refund.id, creditNote: creditNote.receipt_number });
  return { status: 'applied', detail: `${ours.reference} processed, credit note ${creditNote.receipt_number}` };
}

type EventHandler = (tx: DomainContext, payload: unknown, at: Date) => Promise<EventOutcome>;

function on<T extends z.ZodType>(schema: T, apply: (tx: DomainContext, data: z.infer<T>, at: Date) => Promise<EventOutcome>): EventHandler {
  return async (tx, payload, at) => {
    const parsed = schema.safeParse(payload);
    // Acknowledged all the same: a retry carries the same body, and a day of failures disables the webhook.
    if (!parsed.success) return { status: 'attention', detail: `the payload was not understood (${parsed.error.issues[0]!.path.join('.')})` };
    return apply(tx, parsed.data, at);
  };
}

const paymentOnly = z.object({ payment: entity(paymentEntity) });

const handlers: Record<string, EventHandler> = {
  'payment.captured': on(paymentOnly, (tx, { payment }, at) =>
    paymentReceived(tx, payment.entity, { orderId: payment.entity.order_id, reference: noteText(payment.entity.notes, 'reference') }, at),
  ),
  'order.paid': on(
    z.object({ payment: entity(paymentEntity), order: entity(z.object({ id: z.string().min(1), receipt: z.string().nullish() })) }),
    (tx, { payment, order }, at) => paymentReceived(tx, payment.entity, { orderId: order.entity.id, reference: order.entity.receipt }, at),
  ),
  'payment_link.paid': on(
    z.object({
      payment: entity(paymentEntity),
      payment_link: entity(z.object({ id: z.string().min(1), reference_id: z.string().nullish(), order_id: z.string().nullish() })),
    }),
    (tx, { payment, payment_link: { entity: link } }, at) =>
      paymentReceived(tx, payment.entity, { paymentLinkId: link.id, orderId: link.order_id || payment.entity.order_id, reference: link.reference_id }, at),
  ),
  'payment.failed': on(paymentOnly, (tx, { payment }) => paymentFailed(tx, payment.entity)),
  'refund.processed': on(z.object({ refund: entity(refundEntity) }), (tx, { refund }, at) => refundProcessed(tx, refund.entity, at)),
};

/** Applies one verified, first-time event inside the caller's transaction; `at` is when Razorpay raised it. */
export function applyRazorpayEvent(tx: DomainContext, type: string, payload: unknown, at: Date): Promise<EventOutcome> {
  if (!Object.hasOwn(handlers, type)) return Promise.resolve({ status: 'ignored', detail: 'not an event Roshni acts on' });
  return handlers[type]!(tx, payload, at);
}
