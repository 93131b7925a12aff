import { sql } from 'kysely';
import type { DomainContext } from '../context.js';
import type { PaymentStatus } from '../../infra/db/schema.js';

export interface AppointmentBalance {
  /** What the appointment costs the patient: nothing when a package session covers it. */
  pricePaise: number;
  paidPaise: number;
  refundedPaise: number;
  /** What is still owed: never negative. */
  duePaise: number;
}

/** An appointment's money, as SQL over an appointment aliased `a`, shared by every question about dues. */
export const appointmentMoney = {
  /**
   * What it costs the patient: nothing when a package session covers it; for a cancelled or missed
   * session, only the clinic's policy fee if one was charged.
   */
  price: sql<number>`(CASE WHEN EXISTS (SELECT 1 FROM package_draws d WHERE d.appointment_id = a.id) THEN 0
    WHEN a.status IN ('cancelled', 'no_show') THEN coalesce(a.policy_fee_paise, 0) ELSE a.price_paise END)`,
  paid: sql<number>`coalesce((SELECT sum(p.amount_paise) FROM payments p WHERE p.appointment_id = a.id AND p.state = 'completed'), 0)`,
  refunded: sql<number>`coalesce((SELECT sum(r.amount_paise) FROM refunds r JOIN payments p ON p.id = r.payment_id
                                  WHERE p.appointment_id = a.id AND r.state = 'processed'), 0)`,
};

/** Still owed on an appointment aliased `a`: never negative. */
export const appointmentDue = sql<number>`greatest(${appointmentMoney.price} - ${appointmentMoney.paid} + ${appointmentMoney.refunded}, 0)`;

export async function appointmentBalance(ctx: DomainContext, appointmentId: number): Promise<AppointmentBalance> {
  const row = await sql<{ price_paise: number; paid: number; refunded: number }>`
    SELECT ${appointmentMoney.price}::integer AS price_paise, ${appointmentMoney.paid}::integer AS paid,
           ${appointmentMoney.refunded}::integer AS refunded
    FROM appointments a WHERE a.id = ${appointmentId}`.execute(ctx.db);
  const { price_paise, paid, refunded } = row.rows[0]!;
  const net = paid - refunded;
  return { pricePaise: price_paise, paidPaise: paid, refundedPaise: refunded, duePaise: Math.max(price_paise - net, 0) };
}

export function paymentStatusFor(balance: AppointmentBalance): PaymentStatus {
  const net = balance.paidPaise - balance.refundedPaise;
  if (balance.refundedPaise > 0 && net <= 0) return 'refunded';
  if (net >= balance.pricePaise) return 'paid';
  if (net > 0) return 'partially_paid';
  return 'pending';
}

/** Recomputes an appointment's payment status from its payments and refunds (a waiver stands). */
export async function refreshPaymentStatus(ctx: DomainContext, appointmentId: number): Promise<PaymentStatus> {
  const status = paymentStatusFor(await appointmentBalance(ctx, appointmentId));
  await ctx.db.updateTable('appointments').set({ payment_status: status }).where('id', '=', appointmentId).where('payment_status', '<>', 'waived').execute();
  return status;
}
