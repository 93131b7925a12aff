import { sql, type RawBuilder } from 'kysely';

// Who hears about a patient's appointments: an adult patient who can be reached, else the child's
// guardians (the primary one first) — one recipient per event, so a family gets one message.
// A child with a contact of their own but no reachable guardian is the last resort.

/** A contact that some channel can reach. */
const reachable = (alias: string) =>
  sql.raw(`(${alias}.phone IS NOT NULL OR ${alias}.email IS NOT NULL OR ${alias}.telegram_chat_id IS NOT NULL OR ${alias}.whatsapp_id IS NOT NULL)`);

/**
 * When every messaging consent matching `about` (over consents aliased mc) was withdrawn: the latest
 * withdrawal, else NULL (none recorded, or one still in force). DPDP: withdrawn messaging consent stops reminders.
 */
const messagingWithdrawn = (about: RawBuilder<unknown>) =>
  sql`(SELECT max(mc.withdrawn_at) FROM consents mc WHERE mc.purpose = 'messaging' AND ${about}
       HAVING bool_and(mc.withdrawn_at IS NOT NULL))`;

/** When patient `p` (an alias) stopped reminders: their own "stop", else every messaging consent about them withdrawn. */
export const patientOptedOutAt = (p: string) =>
  sql`coalesce(${sql.ref(`${p}.reminders_opted_out_at`)}, ${messagingWithdrawn(sql`mc.patient_id = ${sql.ref(`${p}.id`)}`)})`;

/**
 * When guardian `g` (an alias) stopped reminders about patient `patientId`: their own "stop", else every
 * messaging consent about that patient withdrawn, else every one of the guardian's own.
 */
export const guardianOptedOutAt = (g: string, patientId: RawBuilder<unknown>) =>
  sql`coalesce(${sql.ref(`${g}.reminders_opted_out_at`)}, ${messagingWithdrawn(sql`mc.patient_id = ${patientId}`)},
               ${messagingWithdrawn(sql`mc.guardian_id = ${sql.ref(`${g}.id`)} AND mc.patient_id IS NULL`)})`;

/**
 * A LATERAL subquery giving the one recipient of messages about patient `patientId` (an SQL
 * expression), as columns r.patient_id, r.guardian_id, r.language, r.opted_out_at, r.recipient_key.
 * `onDate` is the clinic's today (to tell a child from an adult, 18 years).
 */
export function recipientOf(patientId: RawBuilder<unknown>, onDate: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`(
    SELECT rc.patient_id, rc.guardian_id, rc.language, rc.opted_out_at, rc.recipient_key FROM (
      SELECT p.id AS patient_id, NULL::integer AS guardian_id, p.preferred_language AS language,
             ${patientOptedOutAt('p')} AS opted_out_at,
             'p' || p.id AS recipient_key,
             CASE WHEN p.date_of_birth IS NULL OR p.date_of_birth <= ${onDate}::date - interval '18 years' THEN 0 ELSE 2 END AS rank,
             false AS is_primary, p.id AS tie
      FROM patients p WHERE p.id = ${patientId} AND p.erased_at IS NULL AND ${reachable('p')}
      UNION ALL
      SELECT NULL::integer, g.id, g.preferred_language,
             ${guardianOptedOutAt('g', sql`pg.patient_id`)},
             'g' || g.id, 1, pg.is_primary, g.id
      FROM patient_guardians pg JOIN guardians g ON g.id = pg.guardian_id
      WHERE pg.patient_id = ${patientId} AND g.erased_at IS NULL AND ${reachable('g')}
    ) rc
    ORDER BY rc.rank, rc.is_primary DESC, rc.tie
    LIMIT 1
  )`;
}
