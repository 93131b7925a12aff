import { sql, type Kysely } from 'kysely';
import type { DB } from '../../infra/db/schema.js';
import { rescheduleReason } from '../scheduling/needs-reschedule.js';
import type { ReminderSession } from './templates.js';

/** Sessions closer than this (end of one to start of the next) count as back to back. */
const BACK_TO_BACK_MS = 30 * 60_000;

/**
 * The live sessions one reminder covers: the reminded appointment and those following it back to
 * back on the same clinic day for the same recipient (the patient, or every child of the guardian
 * it goes to), leaving out those that need rescheduling (a day off fell on them). reminderInsert()
 * writes reminders only for the first of such a run.
 */
export async function sessionsOfReminder(
  db: Kysely<DB>,
  reminder: { appointmentId: number; guardianId: number | null },
  timezone: string,
): Promise<ReminderSession[]> {
  const { rows } = await sql<{ id: number; appointment_number: string; starts_at: Date; ends_at: Date; therapist_name: string }>`
    SELECT a.id, a.appointment_number, a.starts_at, a.ends_at, t.full_name AS therapist_name
    FROM appointments h
    JOIN appointments a ON a.status IN ('scheduled', 'confirmed') AND a.starts_at >= h.starts_at
      AND a.starts_at < ((h.starts_at AT TIME ZONE ${timezone})::date + 1) AT TIME ZONE ${timezone}
      AND (a.patient_id = h.patient_id OR a.patient_id IN (
            SELECT pg.patient_id FROM patient_guardians pg WHERE pg.guardian_id = ${reminder.guardianId}::integer))
    JOIN therapists t ON t.id = a.therapist_id
    WHERE h.id = ${reminder.appointmentId}
      -- A session a day off left to reschedule is not one to come to.
      AND ${rescheduleReason(timezone, { therapistId: sql`a.therapist_id`, startsAt: sql`a.starts_at` })} IS NULL
    ORDER BY a.starts_at, a.id`.execute(db);
  const run: typeof rows = [];
  for (const row of rows) {
    const previous = run.at(-1);
    if (previous && row.starts_at.getTime() > previous.ends_at.getTime() + BACK_TO_BACK_MS) break;
    run.push(row);
  }
  return run.map((r) => ({
    appointmentId: r.id,
    appointmentNumber: r.appointment_number,
    startsAt: r.starts_at.toISOString(),
    therapistName: r.therapist_name,
  }));
}
