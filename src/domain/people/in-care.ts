import type { DomainContext } from '../context.js';
import { NotFoundError } from '../errors.js';

// Patients and guardians act for themselves: a patient for their own record, a guardian for the
// children linked to them. Anyone else is "not found", so ids typed into a chat reveal nothing.

export interface PatientInCare {
  id: number;
  patientNumber: string;
  fullName: string;
  dateOfBirth: string | null;
}

/** The patients the acting patient or guardian may act for (staff and the system: none listed). */
export async function patientsInCare(ctx: DomainContext): Promise<PatientInCare[]> {
  const { actor } = ctx;
  if (actor.kind !== 'patient' && actor.kind !== 'guardian') return [];
  const rows = await ctx.db
    .selectFrom('patients as p')
    .select(['p.id', 'p.patient_number', 'p.full_name', 'p.date_of_birth'])
    .where('p.erased_at', 'is', null)
    .$if(actor.kind === 'patient', (qb) => qb.where('p.id', '=', actor.kind === 'patient' ? actor.patientId : -1))
    .$if(actor.kind === 'guardian', (qb) =>
      qb.innerJoin('patient_guardians as pg', 'pg.patient_id', 'p.id').where('pg.guardian_id', '=', actor.kind === 'guardian' ? actor.guardianId : -1),
    )
    .orderBy('p.id')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    patientNumber: r.patient_number,
    fullName: r.full_name,
    dateOfBirth: r.date_of_birth === null ? null : String(r.date_of_birth),
  }));
}

/**
 * The ids only, for filters: a patient needs no query at all (it is their own id); a guardian's
 * children are looked up (one small query on the link table).
 */
export async function patientIdsInCare(ctx: DomainContext): Promise<number[]> {
  const { actor } = ctx;
  if (actor.kind === 'patient') return [actor.patientId];
  if (actor.kind !== 'guardian') return [];
  const rows = await ctx.db
    .selectFrom('patient_guardians as pg')
    .innerJoin('patients as p', 'p.id', 'pg.patient_id')
    .select('pg.patient_id')
    .where('pg.guardian_id', '=', actor.guardianId)
    .where('p.erased_at', 'is', null)
    .execute();
  return rows.map((r) => r.patient_id);
}

/** Staff and the system pass; a patient or guardian must be acting for themselves or their child. */
export async function requireInCare(ctx: DomainContext, patientId: number | undefined): Promise<void> {
  const { actor } = ctx;
  if (actor.kind !== 'patient' && actor.kind !== 'guardian') return;
  if (patientId === undefined) throw new NotFoundError('No such patient.');
  if (actor.kind === 'patient') {
    if (actor.patientId !== patientId) throw new NotFoundError(`No patient with id ${patientId}.`);
    return;
  }
  const link = await ctx.db
    .selectFrom('patient_guardians')
    .select('patient_id')
    .where('patient_id', '=', patientId)
    .where('guardian_id', '=', actor.guardianId)
    .executeTakeFirst();
  if (!link) throw new NotFoundError(`No patient with id ${patientId}.`);
}
