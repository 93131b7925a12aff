import { sql } from 'kysely';
import type { DomainContext } from '../context.js';
import { authorize } from '../policy.js';
import { percent, resolveReportPeriod, type ReportPeriod, type ReportPeriodInput } from './period.js';
import { sumOf } from './totals.js';

// Who came and who did not, per therapist, for the appointments of a period. The rates are shares of
// the appointments that were due to happen: attended, no-show, or cancelled inside the clinic's
// late-cancellation window (a cancellation in good time frees the place, and counts in neither).

export interface AttendanceFigures {
  booked: number;
  attended: number;
  noShows: number;
  lateCancellations: number;
  /** Cancelled in good time. */
  cancellations: number;
  /** Still scheduled or confirmed: upcoming, or not marked yet. */
  open: number;
  /** no-shows ÷ (attended + no-shows + late cancellations), in percent. */
  noShowRate: number | null;
  lateCancellationRate: number | null;
}

export interface AttendanceLine extends AttendanceFigures {
  therapistId: number;
  therapistName: string;
}

export interface AttendanceReport {
  period: ReportPeriod;
  lines: AttendanceLine[];
  total: AttendanceFigures;
}

type Counts = Omit<AttendanceFigures, 'noShowRate' | 'lateCancellationRate'>;

function withRates(c: Counts): AttendanceFigures {
  const due = c.attended + c.noShows + c.lateCancellations;
  return { ...c, noShowRate: percent(c.noShows, due), lateCancellationRate: percent(c.lateCancellations, due) };
}

export async function attendanceReport(ctx: DomainContext, raw: ReportPeriodInput): Promise<AttendanceReport> {
  authorize(ctx.actor, 'report.read');
  const period = resolveReportPeriod(ctx, raw);
  const { rows } = await sql<{
    therapist_id: number;
    therapist_name: string;
    booked: number;
    attended: number;
    no_shows: number;
    late: number;
    cancelled: number;
    open: number;
  }>`
    SELECT t.id AS therapist_id, t.full_name AS therapist_name,
           count(*)::integer AS booked,
           count(*) FILTER (WHERE a.status IN ('completed', 'in_progress'))::integer AS attended,
           count(*) FILTER (WHERE a.status = 'no_show')::integer AS no_shows,
           count(*) FILTER (WHERE a.status = 'cancelled' AND a.late_cancellation)::integer AS late,
           count(*) FILTER (WHERE a.status = 'cancelled' AND NOT a.late_cancellation)::integer AS cancelled,
           count(*) FILTER (WHERE a.status IN ('scheduled', 'confirmed'))::integer AS open
    FROM appointments a JOIN therapists t ON t.id = a.therapist_id
    WHERE a.starts_at >= ${period.start} AND a.starts_at < ${period.end}
    GROUP BY t.id
    ORDER BY t.full_name`.execute(ctx.db);
  const lines = rows.map((r) => ({
    therapistId: r.therapist_id,
    therapistName: r.therapist_name,
    ...withRates({ booked: r.booked, attended: r.attended, noShows: r.no_shows, lateCancellations: r.late, cancellations: r.cancelled, open: r.open }),
  }));
  return {
    period,
    lines,
    total: withRates({
      booked: sumOf(lines, 'booked'),
      attended: sumOf(lines, 'attended'),
      noShows: sumOf(lines, 'noShows'),
      lateCancellations: sumOf(lines, 'lateCancellations'),
      cancellations: sumOf(lines, 'cancellations'),
      open: sumOf(lines, 'open'),
    }),
  };
}
