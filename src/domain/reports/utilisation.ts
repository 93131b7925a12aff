import { sql } from 'kysely';
import type { DomainContext } from '../context.js';
import { authorize } from '../policy.js';
import { percent, resolveReportPeriod, type ReportPeriod, type ReportPeriodInput } from './period.js';
import { sumOf } from './totals.js';

// How much of each therapist's working time was booked. Available time is their weekly working hours
// on each day of the period, less clinic holidays and their leave; booked time is the time their
// appointments (not cancelled; a no-show held the time too) take, a group session counted once.

export interface UtilisationFigures {
  availableMinutes: number;
  bookedMinutes: number;
  /** Of the booked time, the sessions that took place (completed or under way). */
  attendedMinutes: number;
  /** Booked as a share of available, in percent (null with no available time). */
  utilisationPercent: number | null;
}

export interface UtilisationLine extends UtilisationFigures {
  therapistId: number;
  therapistName: string;
}

export interface UtilisationReport {
  period: ReportPeriod;
  lines: UtilisationLine[];
  total: UtilisationFigures;
}

export async function utilisationReport(ctx: DomainContext, raw: ReportPeriodInput): Promise<UtilisationReport> {
  authorize(ctx.actor, 'report.read');
  const period = resolveReportPeriod(ctx, raw);
  const { rows } = await sql<{ therapist_id: number; therapist_name: string; available: number; booked: number; attended: number }>`
    WITH days AS (
      SELECT d::date AS day FROM generate_series(${period.from}::date, ${period.to}::date, interval '1 day') AS d
      WHERE NOT EXISTS (SELECT 1 FROM clinic_holidays h WHERE h.holiday_on = d::date)
    ),
    available AS (
      SELECT wh.therapist_id, sum(extract(epoch FROM wh.end_time - wh.start_time) / 60) AS minutes
      FROM days JOIN working_hours wh ON wh.weekday = extract(isodow FROM days.day)
      WHERE NOT EXISTS (SELECT 1 FROM therapist_leave l
                        WHERE l.therapist_id = wh.therapist_id AND days.day BETWEEN l.starts_on AND l.ends_on)
      GROUP BY wh.therapist_id
    ),
    times AS (
      SELECT therapist_id, extract(epoch FROM ends_at - starts_at) / 60 AS minutes,
             bool_or(status IN ('completed', 'in_progress')) AS attended
      FROM appointments
      WHERE status <> 'cancelled' AND starts_at >= ${period.start} AND starts_at < ${period.end}
      GROUP BY therapist_id, starts_at, ends_at
    ),
    booked AS (
      SELECT therapist_id, sum(minutes) AS minutes, coalesce(sum(minutes) FILTER (WHERE attended), 0) AS attended
      FROM times GROUP BY therapist_id
    )
    SELECT t.id AS therapist_id, t.full_name AS therapist_name,
           coalesce(av.minutes, 0)::integer AS available, coalesce(b.minutes, 0)::integer AS booked,
           coalesce(b.attended, 0)::integer AS attended
    FROM therapists t
    LEFT JOIN available av ON av.therapist_id = t.id
    LEFT JOIN booked b ON b.therapist_id = t.id
    WHERE t.active OR b.minutes > 0
    ORDER BY t.full_name`.execute(ctx.db);
  const lines = rows.map((r) => ({
    therapistId: r.therapist_id,
    therapistName: r.therapist_name,
    availableMinutes: r.available,
    bookedMinutes: r.booked,
    attendedMinutes: r.attended,
    utilisationPercent: percent(r.booked, r.available),
  }));
  const available = sumOf(lines, 'availableMinutes');
  const booked = sumOf(lines, 'bookedMinutes');
  return {
    period,
    lines,
    total: {
      availableMinutes: available,
      bookedMinutes: booked,
      attendedMinutes: sumOf(lines, 'attendedMinutes'),
      utilisationPercent: percent(booked, available),
    },
  };
}
