import { packageBalances } from '../billing/packages.js';
import type { DomainContext } from '../context.js';
import { clinicDate } from '../time.js';
import { sumOf } from './totals.js';

// Package balances (billing/packages.ts) with what the sessions still owed are worth: the clinic has
// been paid for them and still has to give them. Staff-facing (billing.read): it names patients.

export interface PackageLine {
  id: number;
  patientNumber: string;
  patientName: string;
  plan: string;
  service: string;
  status: string;
  sessionsTotal: number;
  sessionsUsed: number;
  sessionsLeft: number;
  expiresOn: string;
  /** Active, but past its expiry date. */
  lapsed: boolean;
  pricePaise: number;
  /** The price of the sessions left, pro rata (rounded to the paisa). */
  unusedValuePaise: number;
}

export interface PackagesReport {
  lines: PackageLine[];
  total: { packages: number; sessionsLeft: number; unusedValuePaise: number };
}

/** Active packages (or every package, with all), with sessions left and their value. */
export async function packagesReport(ctx: DomainContext, raw: { all?: boolean } = {}): Promise<PackagesReport> {
  const rows = await packageBalances(ctx, { activeOnly: !raw.all });
  const prices = new Map(
    rows.length
      ? (
          await ctx.db
            .selectFrom('patient_packages')
            .select(['id', 'price_paise'])
            .where(
              'id',
              'in',
              rows.map((r) => r.id),
            )
            .execute()
        ).map((p) => [p.id, p.price_paise])
      : [],
  );
  const today = clinicDate(ctx.clock.now(), ctx.timezone);
  const lines = rows.map((r) => {
    const expiresOn = String(r.expires_on);
    const pricePaise = prices.get(r.id)!;
    return {
      id: r.id,
      patientNumber: r.patient_number,
      patientName: r.patient_name,
      plan: r.plan_name,
      service: r.service_name,
      status: r.status,
      sessionsTotal: r.sessions_total,
      sessionsUsed: r.sessions_total - r.sessions_left,
      sessionsLeft: r.sessions_left,
      expiresOn,
      lapsed: r.status === 'active' && expiresOn < today,
      pricePaise,
      unusedValuePaise: Math.round((pricePaise * r.sessions_left) / r.sessions_total),
    };
  });
  return {
    lines,
    total: {
      packages: lines.length,
      sessionsLeft: sumOf(lines, 'sessionsLeft'),
      unusedValuePaise: sumOf(lines, 'unusedValuePaise'),
    },
  };
}
