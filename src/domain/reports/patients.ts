import { sql } from 'kysely';
import type { DomainContext } from '../context.js';
import { authorize } from '../policy.js';
import { resolveReportPeriod, type ReportPeriod, type ReportPeriodInput } from './period.js';

// New and returning patients among those seen in a period (a session completed or under way). New:
// their first session at the clinic falls in the period; returning: they were seen before it.
// Counts only: no patient is named.

export interface PatientFigures {
  seen: number;
  new: number;
  returning: number;
}

export interface PatientsLine extends PatientFigures {
  therapistId: number;
  therapistName: string;
}

export interface PatientsReport {
  period: ReportPeriod;
  /** Per therapist; a patient seen by two therapists counts for each. */
  lines: PatientsLine[];
  /** Each patient once. */
  total: PatientFigures;
  /** Patients registered in the period, seen or not. */
  registered: number;
}

export async function patientsReport(ctx: DomainContext, raw: ReportPeriodInput): Promise<PatientsReport> {
  authorize(ctx.actor, 'report.read');
  const period = resolveReportPeriod(ctx, raw);
  const seenIn = sql`
    seen AS (
      SELECT DISTINCT a.patient_id, a.therapist_id FROM appointments a
      WHERE a.status IN ('completed', 'in_progress') AND a.starts_at >= ${period.start} AND a.starts_at < ${period.end}
    ),
    first_visit AS (
      SELECT a.patient_id, min(a.starts_at) AS first_at FROM appointments a
      WHERE a.status IN ('completed', 'in_progress') AND a.patient_id IN (SELECT patient_id FROM seen)
      GROUP BY a.patient_id
    )`;
  const [perTherapist, overall, registered] = await Promise.all([
    sql<{ therapist_id: number; therapist_name: string; seen: number; new: number }>`
      WITH ${seenIn}
      SELECT t.id AS therapist_id, t.full_name AS therapist_name, count(*)::integer AS seen,
             count(*) FILTER (WHERE f.first_at >= ${period.start})::integer AS new
      FROM seen s JOIN first_visit f ON f.patient_id = s.patient_id JOIN therapists t ON t.id = s.therapist_id
      GROUP BY t.id ORDER BY t.full_name`.execute(ctx.db),
    sql<{ seen: number; new: number }>`
      WITH ${seenIn}
      SELECT count(*)::integer AS seen, count(*) FILTER (WHERE f.first_at >= ${period.start})::integer AS new
      FROM first_visit f`.execute(ctx.db),
    sql<{ registered: number }>`
      SELECT count(*)::integer AS registered FROM patients
      WHERE created_at >= ${period.start} AND created_at < ${period.end}`.execute(ctx.db),
  ]);
  const totals = overall.rows[0]!;
  return {
    period,
    lines: perTherapist.rows.map((r) => ({
      therapistId: r.therapist_id,
      therapistName: r.therapist_name,
      seen: r.seen,
      new: r.new,
      returning: r.seen - r.new,
    })),
    total: { seen: totals.seen, new: totals.new, returning: totals.seen - totals.new },
    registered: registered.rows[0]!.registered,
  };
}
