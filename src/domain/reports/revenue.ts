import { sql } from 'kysely';
import { z } from 'zod';
import type { DomainContext } from '../context.js';
import { parseInput } from '../errors.js';
import { authorize } from '../policy.js';
import { periodDates, reportPeriodInput, resolveReportPeriod, type ReportPeriod } from './period.js';
import { sumOf } from './totals.js';

// What came in: completed payments by when they were paid, less processed refunds by when they were
// processed (a refund counts in the period it is paid back, whatever the period of the payment).
// No patient appears here: only methods, services and days.

export const REVENUE_GROUPINGS = ['method', 'service', 'day'] as const;
export type RevenueGrouping = (typeof REVENUE_GROUPINGS)[number];

const revenueInput = reportPeriodInput.and(
  z.object({ by: z.enum(REVENUE_GROUPINGS, { error: `must be one of ${REVENUE_GROUPINGS.join(', ')}` }).default('method') }),
);

export interface RevenueFigures {
  payments: number;
  receivedPaise: number;
  refunds: number;
  refundedPaise: number;
  netPaise: number;
}

export interface RevenueLine extends RevenueFigures {
  /** The method (cash, upi…), the service's code (with ":package" for package sales), or the date. */
  key: string;
  label: string;
}

export interface RevenueReport {
  period: ReportPeriod;
  by: RevenueGrouping;
  lines: RevenueLine[];
  total: RevenueFigures;
}

const METHOD_LABELS: Record<string, string> = {
  cash: 'Cash',
  card: 'Card',
  bank_transfer: 'Bank transfer',
  upi: 'UPI',
  razorpay: 'Razorpay (online)',
};

export const methodLabel = (method: string) => METHOD_LABELS[method] ?? method;

function groupKey(by: RevenueGrouping, timezone: string) {
  switch (by) {
    case 'method':
      return { key: sql<string>`m.method`, label: sql<string>`m.method` };
    case 'service':
      return {
        key: sql<string>`coalesce(s.code, 'other') || CASE WHEN m.package_sale THEN ':package' ELSE '' END`,
        label: sql<string>`coalesce(s.name, 'Other') || CASE WHEN m.package_sale THEN ' (packages)' ELSE '' END`,
      };
    case 'day':
      return {
        key: sql<string>`to_char(m.at AT TIME ZONE ${timezone}, 'YYYY-MM-DD')`,
        label: sql<string>`to_char(m.at AT TIME ZONE ${timezone}, 'YYYY-MM-DD')`,
      };
  }
}

const sumFigures = (lines: RevenueFigures[]): RevenueFigures => ({
  payments: sumOf(lines, 'payments'),
  receivedPaise: sumOf(lines, 'receivedPaise'),
  refunds: sumOf(lines, 'refunds'),
  refundedPaise: sumOf(lines, 'refundedPaise'),
  netPaise: sumOf(lines, 'netPaise'),
});

const emptyFigures = (): RevenueFigures => ({ payments: 0, receivedPaise: 0, refunds: 0, refundedPaise: 0, netPaise: 0 });

/** Revenue over a period, by payment method, service or clinic day (every day of the period listed). */
export async function revenueReport(ctx: DomainContext, raw: z.input<typeof revenueInput>): Promise<RevenueReport> {
  authorize(ctx.actor, 'report.read');
  const { by, ...periodInput } = parseInput(revenueInput, raw);
  const period = resolveReportPeriod(ctx, periodInput);
  const group = groupKey(by, ctx.timezone);
  const { rows } = await sql<{ key: string; label: string; payments: number; received: number; refunds: number; refunded: number }>`
    WITH movements AS (
      SELECT p.method::text AS method, p.paid_at AS at, p.amount_paise AS received, 0 AS refunded, 1 AS payment, 0 AS refund,
             coalesce(a.service_id, pp.service_id) AS service_id, p.appointment_id IS NULL AS package_sale
      FROM payments p
      LEFT JOIN appointments a ON a.id = p.appointment_id
      LEFT JOIN patient_packages pp ON pp.id = p.package_id
      WHERE p.state = 'completed' AND p.paid_at >= ${period.start} AND p.paid_at < ${period.end}
      UNION ALL
      SELECT p.method::text, r.processed_at, 0, r.amount_paise, 0, 1,
             coalesce(a.service_id, pp.service_id), p.appointment_id IS NULL
      FROM refunds r
      JOIN payments p ON p.id = r.payment_id
      LEFT JOIN appointments a ON a.id = p.appointment_id
      LEFT JOIN patient_packages pp ON pp.id = p.package_id
      WHERE r.state = 'processed' AND r.processed_at >= ${period.start} AND r.processed_at < ${period.end}
    )
    SELECT ${group.key} AS key, min(${group.label}) AS label,
           sum(m.payment)::integer AS payments, sum(m.received)::integer AS received,
           sum(m.refund)::integer AS refunds, sum(m.refunded)::integer AS refunded
    FROM movements m LEFT JOIN services s ON s.id = m.service_id
    GROUP BY 1
    ORDER BY sum(m.received) - sum(m.refunded) DESC, 1`.execute(ctx.db);
  const found = new Map<string, RevenueLine>(
    rows.map((r) => [
      r.key,
      {
        key: r.key,
        label: by === 'method' ? methodLabel(r.key) : r.label,
        payments: r.payments,
        receivedPaise: r.received,
        refunds: r.refunds,
        refundedPaise: r.refunded,
        netPaise: r.received - r.refunded,
      },
    ]),
  );
  const lines = by === 'day' ? periodDates(period).map((date) => found.get(date) ?? { key: date, label: date, ...emptyFigures() }) : [...found.values()];
  return { period, by, lines, total: sumFigures(lines) };
}
