import { sql, type RawBuilder } from 'kysely';
import { rescheduleReason } from '../scheduling/needs-reschedule.js';
import { clinicDate } from '../time.js';
import { guardianOptedOutAt, patientOptedOutAt, recipientOf } from './recipients.js';

// What the delivery plan needs to know about messages just claimed, read in the claiming statement
// itself (one query per batch): whom each reaches and at which addresses, whether they opted out or
// are a sample person, and how its appointment stands.

/**
 * A SELECT over `claimed` (a CTE of notifications rows, alias c) giving DeliveryFacts plus the row's
 * idempotency_key and attempts, as of `now`.
 */
export function deliveryFactsOf(claimed: RawBuilder<unknown>, now: Date, timezone: string): RawBuilder<unknown> {
  return sql`
      SELECT c.id, c.idempotency_key, c.kind, coalesce(r.language, c.language) AS language, c.payload, c.attempts, c.appointment_id,
             coalesce(c.guardian_id, r.guardian_id) AS guardian_id,
             coalesce(p.preferred_channel, g.preferred_channel) AS preferred_channel,
             -- A sample person's stored phone and email may be a stranger's (migration 0016).
             CASE WHEN NOT coalesce(p.sample, g.sample, false) THEN coalesce(p.phone, g.phone, s.phone) END AS phone,
             CASE WHEN NOT coalesce(p.sample, g.sample, false) THEN coalesce(p.email, g.email, s.email) END AS email,
             coalesce(p.sample, g.sample, false) AS sample,
             coalesce(p.telegram_chat_id, g.telegram_chat_id) AS telegram_chat_id,
             coalesce(p.whatsapp_id, g.whatsapp_id) AS whatsapp_id,
             -- Asked again at sending: a "stop" or a consent withdrawn since the message was queued counts.
             coalesce(CASE WHEN p.id IS NOT NULL THEN ${patientOptedOutAt('p')} END,
                      CASE WHEN g.id IS NOT NULL THEN ${guardianOptedOutAt('g', sql`coalesce(c.patient_id, a.patient_id)`)} END) IS NOT NULL AS opted_out,
             CASE WHEN a.id IS NULL THEN NULL
                  ELSE a.status IN ('scheduled', 'confirmed') AND a.starts_at > ${now}::timestamptz END AS appointment_live,
             a.starts_at AS appointment_starts_at,
             ${rescheduleReason(timezone, { therapistId: sql`a.therapist_id`, startsAt: sql`a.starts_at`, status: sql`a.status` })}
               AS appointment_reschedule
      FROM ${claimed} c
      -- A row naming only the patient (a booking's confirmation) reaches whoever hears about that
      -- patient now: the adult patient, else the primary guardian.
      LEFT JOIN LATERAL ${recipientOf(sql`c.patient_id`, sql`${clinicDate(now, timezone)}::date`)} r
        ON c.guardian_id IS NULL AND c.staff_user_id IS NULL
      LEFT JOIN patients p ON p.id = CASE WHEN c.guardian_id IS NULL AND c.staff_user_id IS NULL THEN r.patient_id END AND p.erased_at IS NULL
      LEFT JOIN guardians g ON g.id = coalesce(c.guardian_id, r.guardian_id) AND g.erased_at IS NULL
      LEFT JOIN staff_users s ON s.id = c.staff_user_id AND s.active
      LEFT JOIN appointments a ON a.id = c.appointment_id
      ORDER BY c.id`;
}
