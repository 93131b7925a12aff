import type { DomainContext } from '../context.js';
import { NotFoundError } from '../errors.js';

/** The patient, unless there is none with that id or they were erased (then "not found"). */
export async function requireLivePatient(ctx: DomainContext, patientId: number) {
  const patient = await ctx.db
    .selectFrom('patients')
    .select(['id', 'patient_number'])
    .where('id', '=', patientId)
    .where('erased_at', 'is', null)
    .executeTakeFirst();
  if (!patient) throw new NotFoundError(`No patient with id ${patientId}.`);
  return patient;
}
