import { z } from 'zod';
import { staffUserIdOf } from '../actor.js';
import { inTransaction, type DomainContext } from '../context.js';
import { parseInput } from '../errors.js';
import { authorize } from '../policy.js';
import { completePayment } from './complete-payment.js';
import { translateUtrConflict, upiTransactionId } from './utr.js';
import { amountToCollect, lockPayableAppointment } from './payable-appointment.js';

const manualPaymentInput = z
  .object({
    appointmentId: z.number().int().positive(),
    amountPaise: z.number().int().positive('must be more than zero'),
    method: z.enum(['cash', 'card', 'bank_transfer', 'upi'], { error: 'must be cash, card, bank_transfer or upi' }),
    utr: upiTransactionId.optional(),
    note: z.string().trim().max(500).optional(),
  })
  .refine((p) => p.method !== 'upi' || p.utr, { message: 'is required for UPI payments', path: ['utr'] });

export type ManualPaymentInput = z.input<typeof manualPaymentInput>;

/** Cash, card (POS), bank transfer or UPI taken at the desk, recorded with who took it. */
export async function recordManualPayment(ctx: DomainContext, raw: ManualPaymentInput) {
  authorize(ctx.actor, 'payment.record');
  const input = parseInput(manualPaymentInput, raw);
  return inTransaction(ctx, async (tx) => {
    const appointment = await lockPayableAppointment(tx, input.appointmentId);
    await amountToCollect(tx, appointment, input.amountPaise);
    const payment = await tx.db
      .insertInto('payments')
      .values({
        patient_id: appointment.patient_id,
        appointment_id: appointment.id,
        amount_paise: input.amountPaise,
        method: input.method,
        utr: input.utr ?? null,
        note: input.note ?? null,
        processed_by_staff_id: staffUserIdOf(tx.actor),
      })
      .returning(['id', 'reference'])
      .executeTakeFirstOrThrow()
      .catch((error) => translateUtrConflict(error, input.utr));
    const completed = await completePayment(tx, payment.id, { paidAt: tx.clock.now() });
    return { ...completed, reference: payment.reference, amountPaise: input.amountPaise, method: input.method };
  });
}
