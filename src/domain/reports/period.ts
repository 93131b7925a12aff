import { z } from 'zod';
import type { DomainContext } from '../context.js';
import { parseInput } from '../errors.js';
import { clinicDaysSpan, orderedDays } from '../scheduling/clinic-days.js';
import { addDays, clinicDate, isoDate, isoMonth } from '../time.js';

// The clinic days a report covers: a month, or a run of days from one date to another (inclusive).

export const reportPeriodInput = z
  .object({ month: isoMonth.optional(), from: isoDate.optional(), to: isoDate.optional() })
  .refine((p) => !(p.month && (p.from || p.to)), { message: 'give either a month or from/to, not both', path: ['month'] })
  .refine((p) => !(p.to && !p.from), { message: 'needs from as well', path: ['to'] });

export type ReportPeriodInput = z.input<typeof reportPeriodInput>;

export interface ReportPeriod {
  from: string;
  to: string;
  /** "November 2026", "2026-11-26", or "2026-11-01 to 2026-11-15". */
  label: string;
  /** The clinic's midnight that starts `from` and the one that ends `to`. */
  start: Date;
  end: Date;
}

export function monthDays(month: string): { from: string; to: string } {
  const from = `${month}-01`;
  const [year, m] = month.split('-').map(Number) as [number, number];
  const next = m === 12 ? `${year + 1}-01-01` : `${year}-${String(m + 1).padStart(2, '0')}-01`;
  return { from, to: addDays(next, -1) };
}

/** The month before the clinic's current one, as YYYY-MM. */
export function previousMonth(ctx: DomainContext): string {
  const today = clinicDate(ctx.clock.now(), ctx.timezone);
  return addDays(`${today.slice(0, 7)}-01`, -1).slice(0, 7);
}

function monthLabel(month: string): string {
  const [year, m] = month.split('-').map(Number) as [number, number];
  return new Intl.DateTimeFormat('en-IN', { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(Date.UTC(year, m - 1, 1)));
}

/** A month, a day, or from/to (at most a year); nothing given means the clinic's current month. */
export function resolveReportPeriod(ctx: DomainContext, raw: ReportPeriodInput): ReportPeriod {
  const input = parseInput(reportPeriodInput, raw);
  let days: { from: string; to: string };
  let label: string;
  if (input.from) {
    days = { from: input.from, to: input.to ?? input.from };
    parseInput(z.object({ from: z.string(), to: z.string() }).superRefine(orderedDays(366)), days);
    label = days.from === days.to ? days.from : `${days.from} to ${days.to}`;
  } else {
    const month = input.month ?? clinicDate(ctx.clock.now(), ctx.timezone).slice(0, 7);
    days = monthDays(month);
    label = monthLabel(month);
  }
  return { ...days, label, ...clinicDaysSpan(days, ctx.timezone) };
}

/** Every clinic date of the period, in order. */
export function periodDates(period: { from: string; to: string }): string[] {
  const dates: string[] = [];
  for (let day = period.from; day <= period.to; day = addDays(day, 1)) dates.push(day);
  return dates;
}

/** A share as a percentage with one decimal, or null when there is nothing to share. */
export function percent(part: number, whole: number): number | null {
  return whole > 0 ? Math.round((1000 * part) / whole) / 10 : null;
}

/** "12.5%", or "–" when there was nothing to share. */
export const formatPercent = (value: number | null) => (value === null ? '–' : `${value}%`);

/** Minutes as hours with one decimal: 150 → "2.5". */
export const formatHours = (minutes: number) => (minutes / 60).toFixed(1);
