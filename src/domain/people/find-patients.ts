import type { DomainContext } from '../context.js';
import { InvalidInputError } from '../errors.js';
import { authorize } from '../policy.js';
import { guardiansOfPatients } from './guardians.js';
import { normalizePhone } from './phone.js';

export type PatientMatch = 'id' | 'patient_number' | 'appointment_number' | 'phone' | 'name';

/** What a reference typed at the desk looks like: an id, P-00012, APT-000123, a phone number, or part of a name. */
export function kindOfPatientReference(text: string): { kind: PatientMatch; value: string | number } {
  const upper = text.trim().toUpperCase();
  if (/^\d{1,7}$/.test(upper)) return { kind: 'id', value: Number(upper) };
  const numbered = /^(P|APT)-?(\d+)$/.exec(upper);
  if (numbered) {
    const [, prefix, digits] = numbered;
    return prefix === 'P'
      ? { kind: 'patient_number', value: `P-${digits!.padStart(5, '0')}` }
      : { kind: 'appointment_number', value: `APT-${digits!.padStart(6, '0')}` };
  }
  const phone = /\d{6}/.test(upper.replace(/\D/g, '')) ? normalizePhone(upper) : null;
  if (phone) return { kind: 'phone', value: phone };
  return { kind: 'name', value: text.trim() };
}

/** Every patient a reference could mean (unlike resolvePatient, which insists on exactly one). */
export async function patientsMatching(ctx: DomainContext, text: string) {
  const ref = kindOfPatientReference(text);
  const base = ctx.db
    .selectFrom('patients as p')
    .select(['p.id', 'p.patient_number', 'p.full_name', 'p.date_of_birth', 'p.gender', 'p.phone', 'p.email', 'p.preferred_language'])
    .where('p.erased_at', 'is', null)
    .orderBy('p.full_name')
    .orderBy('p.id');
  switch (ref.kind) {
    case 'id':
      return { ...ref, patients: await base.where('p.id', '=', ref.value as number).execute() };
    case 'patient_number':
      return { ...ref, patients: await base.where('p.patient_number', '=', ref.value as string).execute() };
    case 'appointment_number':
      return {
        ...ref,
        patients: await base
          .where((eb) =>
            eb.exists(
              eb
                .selectFrom('appointments as a')
                .select('a.id')
                .whereRef('a.patient_id', '=', 'p.id')
                .where('a.appointment_number', '=', ref.value as string),
            ),
          )
          .execute(),
      };
    case 'phone':
      // A child is found by a parent's phone too: that is the number the desk is usually given.
      return {
        ...ref,
        patients: await base
          .where((eb) =>
            eb.or([
              eb('p.phone', '=', ref.value as string),
              eb.exists(
                eb
                  .selectFrom('patient_guardians as pg')
                  .innerJoin('guardians as g', 'g.id', 'pg.guardian_id')
                  .select('pg.patient_id')
                  .whereRef('pg.patient_id', '=', 'p.id')
                  .where('g.phone', '=', ref.value as string),
              ),
            ]),
          )
          .execute(),
      };
    case 'name':
      return { ...ref, patients: await base.where('p.full_name', 'ilike', `%${String(ref.value).replace(/[%_\\]/g, '\\$&')}%`).execute() };
  }
}

/** Patients matching a name fragment, phone, patient or appointment number, each with their guardians. */
export async function findPatients(ctx: DomainContext, text: string) {
  authorize(ctx.actor, 'patient.read');
  if (!text.trim()) throw new InvalidInputError('Give a name, phone number, P-number or APT-number to search for.');
  const { kind, patients } = await patientsMatching(ctx, text);
  const guardians = await guardiansOfPatients(
    ctx,
    patients.map((p) => p.id),
  );
  return {
    matchedBy: kind,
    patients: patients.map((p) => ({ ...p, guardians: guardians.filter((g) => g.patient_id === p.id) })),
  };
}
