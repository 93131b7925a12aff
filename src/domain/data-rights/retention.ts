import { sql } from 'kysely';
import { inTransaction, type DomainContext } from '../context.js';
import { authorize } from '../policy.js';
import { clinicDate, zonedInstant } from '../time.js';
import { requireClinicSettings } from '../clinic/settings.js';
import { erasePatient } from './erase.js';

// Data retention: a patient the clinic has had nothing to do with for longer than the clinic's
// data_retention_years (`roshni settings --retention-years`, 7 by default) is due for erasure.
// Their last activity is the latest of: the record's creation or change, an appointment, a
// payment, a document, a consent, a chat message.

export interface RetentionCandidate {
  id: number;
  patientNumber: string;
  fullName: string;
  lastActivityAt: Date;
}

/** The retention period, its cut-off (the clinic's today, that many years back) and the patients past it. */
export async function patientsPastRetention(ctx: DomainContext) {
  authorize(ctx.actor, 'patient.erase');
  const settings = await requireClinicSettings(ctx);
  const years = settings.data_retention_years;
  const today = clinicDate(ctx.clock.now(), ctx.timezone);
  // The same calendar day `years` back (29 February falls back to the 28th).
  const cutoffDate = `${String(Number(today.slice(0, 4)) - years).padStart(4, '0')}${today.slice(4)}`.replace(/-02-29$/, '-02-28');
  const cutoff = zonedInstant(cutoffDate, '00:00', ctx.timezone);
  const lastActivity = sql<Date>`greatest(
    p.created_at, p.updated_at,
    (SELECT max(a.starts_at) FROM appointments a WHERE a.patient_id = p.id),
    (SELECT max(pay.created_at) FROM payments pay WHERE pay.patient_id = p.id),
    (SELECT max(d.created_at) FROM documents d WHERE d.patient_id = p.id),
    (SELECT max(greatest(c.granted_at, c.withdrawn_at)) FROM consents c WHERE c.patient_id = p.id),
    (SELECT max(b.last_message_at) FROM bot_conversations b WHERE b.patient_id = p.id))`;
  // In a transaction: it declares the actor to the database, whose row security covers documents.
  const rows = await inTransaction(ctx, (tx) =>
    tx.db
      .selectFrom('patients as p')
      .select(['p.id', 'p.patient_number', 'p.full_name', lastActivity.as('last_activity_at')])
      .where('p.erased_at', 'is', null)
      .where(lastActivity, '<', cutoff)
      .orderBy('p.id')
      .execute(),
  );
  return {
    years,
    cutoff,
    patients: rows.map((r): RetentionCandidate => ({ id: r.id, patientNumber: r.patient_number, fullName: r.full_name, lastActivityAt: r.last_activity_at })),
  };
}

/** Erases every patient past the retention period, each in its own transaction, with the reason saying why. */
export async function applyRetention(ctx: DomainContext) {
  const { years, cutoff, patients } = await patientsPastRetention(ctx);
  const erased = [];
  for (const patient of patients) {
    const reason = `Data retention: no activity since ${clinicDate(patient.lastActivityAt, ctx.timezone)}, more than ${years} year(s) ago`;
    erased.push(await erasePatient(ctx, { patientId: patient.id, reason }));
  }
  return { years, cutoff, erased };
}
