import { listDues } from '../billing/billing-reports.js';
import type { DomainContext } from '../context.js';
import { sumOf } from './totals.js';

// Outstanding dues: the desk's `roshni dues` list (billing/billing-reports.ts) with its totals.
// It names patients: a staff-facing list, for admin and reception alike (billing.read).

export type DuesLine = Awaited<ReturnType<typeof listDues>>[number];

export interface DuesReport {
  lines: DuesLine[];
  total: { patients: number; sessions: number; duePaise: number; upcomingPaise: number };
}

export async function duesReport(ctx: DomainContext): Promise<DuesReport> {
  const lines = await listDues(ctx);
  return {
    lines,
    total: {
      patients: lines.length,
      sessions: sumOf(lines, 'sessions'),
      duePaise: sumOf(lines, 'due_paise'),
      upcomingPaise: sumOf(lines, 'upcoming_paise'),
    },
  };
}
