import { z } from 'zod';
import { paymentReference } from './payment-reference.js';
import { enqueueForPatient } from '../notifications/appointment-messages.js';
import { recordAudit } from '../audit/record-audit.js';
import { staffUserIdOf } from '../actor.js';
import { inTransaction, outsideTransaction, type DomainContext } from '../context.js';
import { ConflictError, InvalidInputError, NotFoundError, parseInput, translateConstraintError } from '../errors.js';
import { formatRupees } from '../money.js';
import { authorize } from '../policy.js';
import { refreshPaymentStatus } from './payment-status.js';
import { issueCreditNote } from './receipts.js';

const refundInput = z.object({
  paymentReference,
  /** Leave out to refund everything still refundable. */
  amountPaise: z.number().int().positive('must be more than zero').optional(),
  reason: z.string().trim().min(3, 'must say why, in a few words').max(500),
});

export interface RefundResult {
  reference: string;
  amountPaise: number;
  state: 'pending' | 'processed' | 'failed';
  creditNoteNumber: string | null;
}

async function lockRefundablePayment(ctx: DomainContext, reference: string) {
  const payment = await ctx.db
    .selectFrom('payments')
    .select(['id', 'reference', 'amount_paise', 'state', 'method', 'appointment_id', 'patient_id', 'razorpay_payment_id'])
    .where('reference', '=', reference)
    .forUpdate()
    .executeTakeFirst();
  if (!payment) throw new NotFoundError(`No payment ${reference}.`);
  if (payment.state !== 'completed') throw new InvalidInputError(`Payment ${reference} is ${payment.state}; only a completed payment can be refunded.`);
  const { refunded } = await ctx.db
    .selectFrom('refunds')
    .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('amount_paise'), eb.lit(0)).as('refunded'))
    .where('payment_id', '=', payment.id)
    .where('state', '<>', 'failed')
    .executeTakeFirstOrThrow();
  return { ...payment, refundable: payment.amount_paise - Number(refunded) };
}

/** A refund is settled: the appointment's status rolls back and the credit note is issued. */
export async function settleRefund(ctx: DomainContext, refundId: number, appointmentId: number | null) {
  if (appointmentId) await refreshPaymentStatus(ctx, appointmentId);
  const creditNote = await issueCreditNote(ctx, refundId);
  const refund = await ctx.db
    .selectFrom('refunds as r')
    .innerJoin('payments as p', 'p.id', 'r.payment_id')
    .select(['p.patient_id', 'r.amount_paise'])
    .where('r.id', '=', refundId)
    .executeTakeFirstOrThrow();
  await enqueueForPatient(ctx, {
    patientId: refund.patient_id,
    kind: 'refund_processed',
    key: `refund_processed:refund:${refundId}`,
    appointmentId,
    payload: { amountPaise: refund.amount_paise, creditNoteNumber: creditNote.receipt_number },
  });
  return creditNote;
}

/**
 * Refunds a completed payment, fully or in part, with a reason. Never more than was paid: checked
 * here for a clear message, and by the database (refund_within_payment) for two refunds at once.
 * Cash, card, bank and UPI refunds are paid back by the clinic and recorded as processed; a Razorpay
 * payment is refunded through Razorpay, and its credit note follows when Razorpay confirms.
 */
export async function refundPayment(ctx: DomainContext, raw: z.input<typeof refundInput>): Promise<RefundResult> {
  authorize(ctx.actor, 'payment.refund');
  const input = parseInput(refundInput, raw);
  const recorded = await inTransaction(ctx, async (tx) => {
    const payment = await lockRefundablePayment(tx, input.paymentReference);
    const amount = input.amountPaise ?? payment.refundable;
    if (amount <= 0 || amount > payment.refundable) {
      throw new ConflictError(`${payment.reference} has ${formatRupees(payment.refundable)} left to refund; ${formatRupees(amount)} is more than that.`);
    }
    const online = payment.method === 'razorpay';
    if (online && !tx.paymentGateway) throw new InvalidInputError('Razorpay is not configured: set RAZORPAY_KEY_ID and RAZORPAY_KEY_SECRET.');
    const now = tx.clock.now();
    const refund = await tx.db
      .insertInto('refunds')
      .values({
        payment_id: payment.id,
        amount_paise: amount,
        reason: input.reason,
        state: online ? 'pending' : 'processed',
        processed_by_staff_id: staffUserIdOf(tx.actor),
        processed_at: online ? null : now,
      })
      .returning(['id', 'reference'])
      .executeTakeFirstOrThrow()
      .catch((error) =>
        translateConstraintError(error, {
          refund_within_payment: () => new ConflictError(`${payment.reference} has less left to refund than ${formatRupees(amount)}.`),
        }),
      );
    await recordAudit(tx, {
      action: 'payment.refund',
      entity: 'refund',
      entityId: refund.id,
      patientId: payment.patient_id,
      after: { paymentId: payment.id, amountPaise: amount, method: payment.method, state: online ? 'pending' : 'processed' },
    });
    const creditNote = online ? null : await settleRefund(tx, refund.id, payment.appointment_id);
    return { payment, refund, amount, online, creditNote };
  });
  if (!recorded.online) {
    return { reference: recorded.refund.reference, amountPaise: recorded.amount, state: 'processed', creditNoteNumber: recorded.creditNote!.receipt_number };
  }
  return refundThroughGateway(ctx, recorded.payment, recorded.refund, recorded.amount);
}

/**
 * Asks Razorpay for the refund after our pending row is committed (so the limit is held), with the
 * refund's own reference as idempotency key: a retry never refunds twice.
 */
async function refundThroughGateway(
  ctx: DomainContext,
  payment: { id: number; reference: string; appointment_id: number | null; razorpay_payment_id: string | null },
  refund: { id: number; reference: string },
  amount: number,
): Promise<RefundResult> {
  outsideTransaction(ctx, 'A Razorpay refund');
  let outcome;
  try {
    outcome = await ctx.paymentGateway!.refund({
      paymentId: payment.razorpay_payment_id!,
      amountPaise: amount,
      idempotencyKey: refund.reference,
      notes: { refund: refund.reference, payment: payment.reference },
    });
  } catch (error) {
    // A refusal (a 4xx answer) frees the amount again; a timeout or an unreachable Razorpay may
    // still have refunded, so the refund stays pending for its webhook (retrying is idempotent).
    const refused = (error as { statusCode?: number }).statusCode;
    if (refused && refused >= 400 && refused < 500) {
      await ctx.db.updateTable('refunds').set({ state: 'failed' }).where('id', '=', refund.id).where('state', '=', 'pending').execute();
      throw new ConflictError(`Razorpay refused refund ${refund.reference}: ${(error as Error).message}`);
    }
    throw new ConflictError(
      `Razorpay did not answer about refund ${refund.reference}; it stays pending until Razorpay confirms it. ` +
        `Running the same refund again will not refund twice.`,
    );
  }
  return inTransaction(ctx, async (tx) => {
    const processed = outcome.status === 'processed';
    // Only forward: the refund.processed webhook may already have settled it.
    const moved = await tx.db
      .updateTable('refunds')
      .set({ razorpay_refund_id: outcome.refundId, state: outcome.status, ...(processed ? { processed_at: tx.clock.now() } : {}) })
      .where('id', '=', refund.id)
      .where('state', '=', 'pending')
      .executeTakeFirst();
    const creditNote = processed && Number(moved.numUpdatedRows) > 0 ? await settleRefund(tx, refund.id, payment.appointment_id) : null;
    return { reference: refund.reference, amountPaise: amount, state: outcome.status, creditNoteNumber: creditNote?.receipt_number ?? null };
  });
}
