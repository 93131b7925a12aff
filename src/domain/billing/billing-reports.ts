import { sql } from 'kysely';
import { z } from 'zod';
import type { DomainContext } from '../context.js';
import { parseInput } from '../errors.js';
import { authorize } from '../policy.js';
import { addDays, isoDate, zonedInstant } from '../time.js';
import { appointmentDue, appointmentMoney } from './payment-status.js';
import { paymentsWithPatient } from './payments-with-patient.js';

// Money questions the desk and the owner ask: who owes what, what came in, does the day add up.

/**
 * Who owes what: sessions attended (or under way) and not paid, per patient, oldest first; and, apart,
 * what booked upcoming sessions will cost.
 */
export async function listDues(ctx: DomainContext) {
  authorize(ctx.actor, 'billing.read');
  const { rows } = await sql<{
    patient_id: number;
    patient_number: string;
    patient_name: string;
    due_paise: number;
    sessions: number;
    oldest: Date;
    upcoming_paise: number;
  }>`
    WITH dues AS (
      SELECT a.patient_id, a.starts_at, a.status, ${appointmentDue} AS due
      FROM appointments a
      WHERE (a.status NOT IN ('cancelled', 'no_show') OR a.policy_fee_paise IS NOT NULL) AND a.payment_status <> 'waived'
    )
    SELECT p.id AS patient_id, p.patient_number, p.full_name AS patient_name,
           coalesce(sum(d.due) FILTER (WHERE d.status IN ('completed', 'in_progress', 'cancelled', 'no_show')), 0)::integer AS due_paise,
           count(*) FILTER (WHERE d.status IN ('completed', 'in_progress', 'cancelled', 'no_show') AND d.due > 0)::integer AS sessions,
           min(d.starts_at) FILTER (WHERE d.status IN ('completed', 'in_progress', 'cancelled', 'no_show') AND d.due > 0) AS oldest,
           coalesce(sum(d.due) FILTER (WHERE d.status IN ('scheduled', 'confirmed')), 0)::integer AS upcoming_paise
    FROM dues d JOIN patients p ON p.id = d.patient_id
    WHERE d.due > 0
    GROUP BY p.id
    HAVING coalesce(sum(d.due) FILTER (WHERE d.status IN ('completed', 'in_progress', 'cancelled', 'no_show')), 0) > 0
    ORDER BY oldest`.execute(ctx.db);
  return rows;
}

const paymentsFilter = z
  .object({
    from: isoDate,
    to: isoDate,
    method: z.enum(['cash', 'card', 'bank_transfer', 'upi', 'razorpay']).optional(),
    state: z.enum(['pending', 'completed', 'failed', 'cancelled']).optional(),
  })
  .refine((f) => f.to >= f.from, { message: 'must not be before from', path: ['to'] });

/** Payments between two clinic dates (by when they were paid, or raised when not paid). */
export async function listPayments(ctx: DomainContext, raw: z.input<typeof paymentsFilter>) {
  authorize(ctx.actor, 'billing.read');
  const input = parseInput(paymentsFilter, raw);
  const start = zonedInstant(input.from, '00:00', ctx.timezone);
  const end = zonedInstant(addDays(input.to, 1), '00:00', ctx.timezone);
  return paymentsWithPatient(ctx)
    .leftJoin('receipts as r', 'r.payment_id', 'pay.id')
    .leftJoin('staff_users as u', 'u.id', 'pay.processed_by_staff_id')
    .select(['pay.paid_at', 'pay.created_at', 'p.full_name as patient_name', 'r.receipt_number', 'u.username as processed_by'])
    .where(sql<Date>`coalesce(pay.paid_at, pay.created_at)`, '>=', start)
    .where(sql<Date>`coalesce(pay.paid_at, pay.created_at)`, '<', end)
    .$if(input.method !== undefined, (qb) => qb.where('pay.method', '=', input.method!))
    .$if(input.state !== undefined, (qb) => qb.where('pay.state', '=', input.state!))
    .orderBy(sql`coalesce(pay.paid_at, pay.created_at)`)
    .execute();
}

export interface DayReconciliation {
  date: string;
  /** What the day's attended sessions cost (packages and waivers excluded). */
  expectedPaise: number;
  /** What was paid that day, less what was refunded that day, by method. */
  receivedByMethod: Array<{ method: string; receivedPaise: number; refundedPaise: number; count: number }>;
  receivedPaise: number;
  /** Still owed for that day's attended sessions. */
  outstandingPaise: number;
  /** UPI QR payments raised and not yet confirmed with a UTR. */
  unconfirmedUpi: Array<{ reference: string; amountPaise: number; createdAt: Date }>;
  /** Razorpay events that could not be matched to a payment of ours. */
  unmatchedRazorpay: Array<{ eventId: string; eventType: string; receivedAt: Date }>;
}

/** A day's money: expected vs received by method, and what still needs a human look. */
export async function reconcileDay(ctx: DomainContext, raw: { date: string }): Promise<DayReconciliation> {
  authorize(ctx.actor, 'billing.read');
  const { date } = parseInput(z.object({ date: isoDate }), raw);
  const start = zonedInstant(date, '00:00', ctx.timezone);
  const end = zonedInstant(addDays(date, 1), '00:00', ctx.timezone);
  const [expected, byMethod, upi, razorpay] = await Promise.all([
    sql<{ expected: number; outstanding: number }>`
      SELECT coalesce(sum(${appointmentMoney.price}), 0)::integer AS expected,
             coalesce(sum(${appointmentDue}), 0)::integer AS outstanding
      FROM appointments a
      WHERE a.starts_at >= ${start} AND a.starts_at < ${end}
        AND a.status IN ('completed', 'in_progress') AND a.payment_status <> 'waived'`.execute(ctx.db),
    sql<{ method: string; received: number; refunded: number; count: number }>`
      SELECT m.method::text,
             coalesce((SELECT sum(p.amount_paise) FROM payments p WHERE p.method = m.method AND p.state = 'completed'
                        AND p.paid_at >= ${start} AND p.paid_at < ${end}), 0)::integer AS received,
             coalesce((SELECT sum(r.amount_paise) FROM refunds r JOIN payments p ON p.id = r.payment_id
                       WHERE p.method = m.method AND r.state = 'processed'
                         AND r.processed_at >= ${start} AND r.processed_at < ${end}), 0)::integer AS refunded,
             (SELECT count(*) FROM payments p WHERE p.method = m.method AND p.state = 'completed'
               AND p.paid_at >= ${start} AND p.paid_at < ${end})::integer AS count
      FROM unnest(enum_range(NULL::payment_method)) AS m(method)`.execute(ctx.db),
    ctx.db
      .selectFrom('payments')
      .select(['reference', 'amount_paise', 'created_at'])
      .where('method', '=', 'upi')
      .where('state', '=', 'pending')
      .where('created_at', '<', end)
      .orderBy('created_at')
      .execute(),
    ctx.db
      .selectFrom('webhook_events')
      .select(['event_id', 'event_type', 'received_at'])
      .where('provider', '=', 'razorpay')
      .where('outcome', '=', 'unmatched')
      .where('received_at', '>=', start)
      .where('received_at', '<', end)
      .orderBy('received_at')
      .execute(),
  ]);
  const receivedByMethod = byMethod.rows.map((r) => ({ method: r.method, receivedPaise: r.received, refundedPaise: r.refunded, count: r.count }));
  return {
    date,
    expectedPaise: expected.rows[0]!.expected,
    receivedByMethod,
    receivedPaise: receivedByMethod.reduce((sum, r) => sum + r.receivedPaise - r.refundedPaise, 0),
    outstandingPaise: expected.rows[0]!.outstanding,
    unconfirmedUpi: upi.map((u) => ({ reference: u.reference, amountPaise: u.amount_paise, createdAt: u.created_at })),
    unmatchedRazorpay: razorpay.map((e) => ({ eventId: e.event_id, eventType: e.event_type, receivedAt: e.received_at })),
  };
}
