import { sql } from 'kysely';
import type { DomainContext } from '../context.js';
import { reminderInsert } from './appointment-messages.js';

export interface ReminderRun {
  /** Reminders written (or revived) by this run, to be sent. */
  scheduled: number;
  /** Reminders this run recorded as skipped, with why (quiet hours, a day off on the appointment's day). */
  skipped: number;
  /** Live appointments looked at. */
  appointments: number;
}

/**
 * Writes the reminders of every live appointment starting within the largest reminder offset (plus
 * a margin) into the outbox. Bookings and reschedules leave reminders to this job (run every
 * minute), which keeps the booking statement fast; it also covers an opt-in after booking and
 * appointments from before the outbox. One INSERT … SELECT,
 * safe to run any number of times: the idempotency keys make a second run write nothing.
 * With `dryRun`, counts what would be written and writes nothing.
 */
export async function scheduleReminders(ctx: DomainContext, options: { dryRun?: boolean } = {}): Promise<ReminderRun> {
  const now = ctx.clock.now();
  const source = sql`(SELECT id AS appointment_id, patient_id, therapist_id, starts_at, appointment_number
    FROM appointments
    WHERE status IN ('scheduled', 'confirmed') AND starts_at > ${now}::timestamptz
      AND starts_at <= ${now}::timestamptz + make_interval(mins => (
        SELECT coalesce(max(o), 0) + 15 FROM clinic_settings, unnest(reminder_offsets_minutes) o)))`;
  const run = async (db: DomainContext['db']) => {
    const { rows } = await sql<{ scheduled: string; skipped: string; appointments: string }>`
      WITH written AS (${reminderInsert(ctx, source)} RETURNING state)
      SELECT (SELECT count(*) FROM written WHERE state = 'pending') AS scheduled,
             (SELECT count(*) FROM written WHERE state = 'skipped') AS skipped,
             (SELECT count(*) FROM ${source} s) AS appointments`.execute(db);
    return { scheduled: Number(rows[0]!.scheduled), skipped: Number(rows[0]!.skipped), appointments: Number(rows[0]!.appointments) };
  };
  if (!options.dryRun) return run(ctx.db);
  // A dry run writes in a transaction that is always rolled back.
  let result: ReminderRun = { scheduled: 0, skipped: 0, appointments: 0 };
  await ctx.db
    .transaction()
    .execute(async (trx) => {
      result = await run(trx);
      throw new DryRunRollback();
    })
    .catch((error) => {
      if (!(error instanceof DryRunRollback)) throw error;
    });
  return result;
}

class DryRunRollback extends Error {}
