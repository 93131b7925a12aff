import { sql } from 'kysely';
import { requireClinicSettings } from '../clinic/settings.js';
import type { DomainContext } from '../context.js';
import { clinicDate, clinicTime } from '../time.js';

/**
 * Each therapist with a login (the message goes to their staff user's phone or email) and sessions
 * today gets the day's schedule once, from the clinic's summary time on: times and appointment
 * numbers only, never patients' names. Safe to run any number of times (one key per therapist and day).
 */
export async function enqueueTherapistSummaries(ctx: DomainContext): Promise<{ enqueued: number }> {
  const settings = await requireClinicSettings(ctx);
  if (settings.therapist_summary_at === null) return { enqueued: 0 };
  const now = ctx.clock.now();
  if (clinicTime(now, ctx.timezone) < String(settings.therapist_summary_at).slice(0, 5)) return { enqueued: 0 };
  const today = clinicDate(now, ctx.timezone);
  const result = await sql`
    INSERT INTO notifications (idempotency_key, kind, staff_user_id, payload, due_at)
    SELECT 'therapist_daily_summary:' || t.id || ':' || ${today}, 'therapist_daily_summary', t.staff_user_id,
           jsonb_build_object('date', ${today}::text, 'count', count(*), 'firstAt', to_char(min(a.starts_at AT TIME ZONE ${ctx.timezone}), 'HH24:MI'),
             'lines', jsonb_agg(to_char(a.starts_at AT TIME ZONE ${ctx.timezone}, 'HH24:MI') || ' ' || a.appointment_number ORDER BY a.starts_at)),
           ${now}::timestamptz
    FROM therapists t
    JOIN staff_users s ON s.id = t.staff_user_id AND s.active
    JOIN appointments a ON a.therapist_id = t.id AND a.status IN ('scheduled', 'confirmed')
      AND a.starts_at >= ${now}::timestamptz
      AND (a.starts_at AT TIME ZONE ${ctx.timezone})::date = ${today}::date
    WHERE t.active
    GROUP BY t.id
    ON CONFLICT (idempotency_key) DO NOTHING`.execute(ctx.db);
  return { enqueued: Number(result.numAffectedRows ?? 0) };
}
