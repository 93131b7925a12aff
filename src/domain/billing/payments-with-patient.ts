import type { DomainContext } from '../context.js';

/**
 * Payments (`pay`) joined to their patient (`p`) and, for a session's payment, its appointment (`a`), with what
 * every list, receipt and payment link of them names: the payment's own facts, the patient's and the appointment's
 * numbers. Callers join and select the rest.
 */
export function paymentsWithPatient(ctx: DomainContext) {
  return ctx.db
    .selectFrom('payments as pay')
    .innerJoin('patients as p', 'p.id', 'pay.patient_id')
    .leftJoin('appointments as a', 'a.id', 'pay.appointment_id')
    .select([
      'pay.id',
      'pay.reference',
      'pay.amount_paise',
      'pay.method',
      'pay.state',
      'pay.utr',
      'pay.razorpay_payment_id',
      'p.patient_number',
      'a.appointment_number',
    ]);
}
