import { sql } from 'kysely';
import type { DomainContext } from '../context.js';
import { NotFoundError } from '../errors.js';
import { requireClinicSettings } from '../clinic/settings.js';
import { paymentsWithPatient } from './payments-with-patient.js';

/** What a receipt or credit note says, frozen when it is issued (names and prices may change later). */
export interface ReceiptSnapshot {
  clinic: { name: string; address: string | null; phone: string | null; email: string | null; gstin: string | null };
  patient: { number: string; name: string };
  /** The appointment's service, or the package sold. */
  item: string;
  appointmentNumber: string | null;
  amountPaise: number;
  method: string;
  /** The payment's reference, and the UTR or Razorpay payment id when there is one. */
  paymentReference: string;
  externalReference: string | null;
  /** For a credit note: the refund's reference and reason, and the receipt it corrects. */
  refund?: { reference: string; reason: string; receiptNumber: string | null };
  issuedAt: string;
}

async function nextNumber(ctx: DomainContext, prefix: string, series: 'receipt_number_seq' | 'credit_note_number_seq'): Promise<string> {
  const { rows } = await sql<{ n: string }>`SELECT padded_number(${prefix}, nextval(${series}::regclass), 6) AS n`.execute(ctx.db);
  return rows[0]!.n;
}

/** A payment with what its receipt or its payment link names: patient, session or package. */
export async function paymentFacts(ctx: DomainContext, paymentId: number) {
  const facts = await paymentsWithPatient(ctx)
    .leftJoin('services as s', 's.id', 'a.service_id')
    .leftJoin('patient_packages as pp', 'pp.id', 'pay.package_id')
    .leftJoin('package_plans as plan', 'plan.id', 'pp.plan_id')
    .select(['p.full_name', 'p.phone', 'p.email', 'a.starts_at', 's.name as service_name', 'plan.name as plan_name'])
    .where('pay.id', '=', paymentId)
    .executeTakeFirst();
  if (!facts) throw new NotFoundError(`No payment with id ${paymentId}.`);
  return facts;
}

function snapshotOf(
  settings: Awaited<ReturnType<typeof requireClinicSettings>>,
  facts: Awaited<ReturnType<typeof paymentFacts>>,
  amountPaise: number,
  issuedAt: Date,
): ReceiptSnapshot {
  return {
    clinic: { name: settings.name, address: settings.address, phone: settings.phone, email: settings.email, gstin: settings.gstin },
    patient: { number: facts.patient_number, name: facts.full_name },
    item: facts.service_name ?? (facts.plan_name ? `Package: ${facts.plan_name}` : 'Payment'),
    appointmentNumber: facts.appointment_number,
    amountPaise,
    method: facts.method,
    paymentReference: facts.reference,
    externalReference: facts.utr ?? facts.razorpay_payment_id,
    issuedAt: issuedAt.toISOString(),
  };
}

/** The receipt of a completed payment: issued once (a second call returns the first). */
export async function issueReceipt(ctx: DomainContext, paymentId: number) {
  const existing = await ctx.db.selectFrom('receipts').selectAll().where('payment_id', '=', paymentId).executeTakeFirst();
  if (existing) return existing;
  const [settings, facts] = await Promise.all([requireClinicSettings(ctx), paymentFacts(ctx, paymentId)]);
  const now = ctx.clock.now();
  return ctx.db
    .insertInto('receipts')
    .values({
      receipt_number: await nextNumber(ctx, `${settings.receipt_prefix}-`, 'receipt_number_seq'),
      kind: 'receipt',
      payment_id: paymentId,
      amount_paise: facts.amount_paise,
      snapshot: JSON.stringify(snapshotOf(settings, facts, facts.amount_paise, now)),
      issued_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** The credit note of a processed refund: issued once. */
export async function issueCreditNote(ctx: DomainContext, refundId: number) {
  const existing = await ctx.db.selectFrom('receipts').selectAll().where('refund_id', '=', refundId).executeTakeFirst();
  if (existing) return existing;
  const refund = await ctx.db
    .selectFrom('refunds as r')
    .leftJoin('receipts as original', 'original.payment_id', 'r.payment_id')
    .select(['r.id', 'r.reference', 'r.reason', 'r.amount_paise', 'r.payment_id', 'original.receipt_number'])
    .where('r.id', '=', refundId)
    .executeTakeFirst();
  if (!refund) throw new NotFoundError(`No refund with id ${refundId}.`);
  const [settings, facts] = await Promise.all([requireClinicSettings(ctx), paymentFacts(ctx, refund.payment_id)]);
  const now = ctx.clock.now();
  const snapshot: ReceiptSnapshot = {
    ...snapshotOf(settings, facts, refund.amount_paise, now),
    refund: { reference: refund.reference, reason: refund.reason, receiptNumber: refund.receipt_number },
  };
  return ctx.db
    .insertInto('receipts')
    .values({
      receipt_number: await nextNumber(ctx, `${settings.receipt_prefix}-CN-`, 'credit_note_number_seq'),
      kind: 'credit_note',
      refund_id: refundId,
      amount_paise: refund.amount_paise,
      snapshot: JSON.stringify(snapshot),
      issued_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}
