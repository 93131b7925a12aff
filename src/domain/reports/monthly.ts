import { z } from 'zod';
import { requireClinicSettings } from '../clinic/settings.js';
import type { DomainContext } from '../context.js';
import { parseInput } from '../errors.js';
import { authorize } from '../policy.js';
import { attendanceReport, type AttendanceReport } from './attendance.js';
import { duesReport, type DuesReport } from './dues.js';
import { packagesReport, type PackagesReport } from './packages.js';
import { patientsReport, type PatientsReport } from './patients.js';
import { previousMonth, resolveReportPeriod, type ReportPeriod } from './period.js';
import { revenueReport, type RevenueReport } from './revenue.js';
import { utilisationReport, type UtilisationReport } from './utilisation.js';

// The owner's month on one page: every report of the month, plus dues and package balances as they
// stand when it is made. Totals only for dues and packages: the page names no patient.

export interface MonthlyReport {
  clinicName: string;
  month: string;
  period: ReportPeriod;
  generatedAt: Date;
  timezone: string;
  revenue: { byMethod: RevenueReport; byService: RevenueReport; byDay: RevenueReport };
  utilisation: UtilisationReport;
  attendance: AttendanceReport;
  patients: PatientsReport;
  /** As they stand now. */
  dues: DuesReport['total'];
  packages: PackagesReport['total'];
}

const monthlyInput = z.object({ month: z.string().optional() });

/** The report of a month (default: the month before the current one). */
export async function monthlyReport(ctx: DomainContext, raw: z.input<typeof monthlyInput> = {}): Promise<MonthlyReport> {
  authorize(ctx.actor, 'report.read');
  const month = parseInput(monthlyInput, raw).month ?? previousMonth(ctx);
  const period = resolveReportPeriod(ctx, { month });
  const [settings, byMethod, byService, byDay, utilisation, attendance, patients, dues, packages] = await Promise.all([
    requireClinicSettings(ctx),
    revenueReport(ctx, { month, by: 'method' }),
    revenueReport(ctx, { month, by: 'service' }),
    revenueReport(ctx, { month, by: 'day' }),
    utilisationReport(ctx, { month }),
    attendanceReport(ctx, { month }),
    patientsReport(ctx, { month }),
    duesReport(ctx),
    packagesReport(ctx),
  ]);
  return {
    clinicName: settings.name,
    month,
    period,
    generatedAt: ctx.clock.now(),
    timezone: ctx.timezone,
    revenue: { byMethod, byService, byDay },
    utilisation,
    attendance,
    patients,
    dues: dues.total,
    packages: packages.total,
  };
}
