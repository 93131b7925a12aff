import type { DomainContext } from '../context.js';
import { InvalidInputError, NotFoundError } from '../errors.js';
import { kindOfPatientReference, patientsMatching } from './find-patients.js';

// Staff refer to people the way they know them: an id, a number on a card, a username, part of a name.

function ambiguous(kind: string, ref: string, names: string[]): never {
  throw new InvalidInputError(`"${ref}" matches several ${kind}s (${names.slice(0, 5).join(', ')}); use the id.`);
}

/** Every therapist a reference could mean: by id, staff username, or part of the name. */
export async function therapistsMatching(ctx: DomainContext, ref: string | number) {
  const text = String(ref).trim();
  const query = ctx.db
    .selectFrom('therapists as t')
    .leftJoin('staff_users as u', 'u.id', 't.staff_user_id')
    .select(['t.id', 't.full_name', 't.active', 't.staff_user_id'])
    .orderBy('t.id');
  return /^\d+$/.test(text)
    ? query.where('t.id', '=', Number(text)).execute()
    : query.where((eb) => eb.or([eb('u.username', '=', text.toLowerCase()), eb('t.full_name', 'ilike', `%${text.replace(/[%_\\]/g, '\\$&')}%`)])).execute();
}

/** A therapist by id, staff username, or a unique part of the name. */
export async function resolveTherapist(ctx: DomainContext, ref: string | number) {
  const text = String(ref).trim();
  const rows = await therapistsMatching(ctx, text);
  if (rows.length === 0) throw new NotFoundError(`No therapist matches "${text}".`);
  if (rows.length > 1)
    ambiguous(
      'therapist',
      text,
      rows.map((r) => `${r.id} ${r.full_name}`),
    );
  return rows[0]!;
}

/** A patient by id, patient number (P-00012), appointment number (APT-000123), phone, or a unique part of the name. */
export async function resolvePatient(ctx: DomainContext, ref: string | number) {
  const text = String(ref).trim();
  const { patients } = await patientsMatching(ctx, text);
  if (patients.length === 0) throw new NotFoundError(`No patient matches "${text}".`);
  if (patients.length > 1)
    ambiguous(
      'patient',
      text,
      patients.map((r) => `${r.patient_number} ${r.full_name}`),
    );
  return patients[0]!;
}

/**
 * A patient by a reference that still means someone after an erasure: their id or P-number, the
 * pseudonymous references the books and the audit log keep. Any other reference (a name, a phone)
 * finds only patients in the clinic's records, as `resolvePatient` does.
 */
export async function resolvePatientEvenIfErased(ctx: DomainContext, ref: string | number): Promise<{ id: number; patient_number: string; erased: boolean }> {
  const text = String(ref).trim();
  const { kind, value } = kindOfPatientReference(text);
  if (kind === 'id' || kind === 'patient_number') {
    const row = await ctx.db
      .selectFrom('patients')
      .select(['id', 'patient_number', 'erased_at'])
      .where(kind === 'id' ? 'id' : 'patient_number', '=', value)
      .executeTakeFirst();
    if (row) return { id: row.id, patient_number: row.patient_number, erased: row.erased_at !== null };
  }
  const patient = await resolvePatient(ctx, text);
  return { id: patient.id, patient_number: patient.patient_number, erased: false };
}

/** An appointment by id or appointment number. */
export async function resolveAppointmentId(ctx: DomainContext, ref: string | number): Promise<number> {
  const text = String(ref).trim().toUpperCase();
  const row = /^\d+$/.test(text)
    ? await ctx.db.selectFrom('appointments').select('id').where('id', '=', Number(text)).executeTakeFirst()
    : await ctx.db.selectFrom('appointments').select('id').where('appointment_number', '=', text).executeTakeFirst();
  if (!row) throw new NotFoundError(`No appointment ${text}.`);
  return row.id;
}
